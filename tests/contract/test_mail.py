"""Inbound mail: recorded once per key, leased to one forwarder at a time, changed only with a current etag."""
from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from core.errors import Conflict, NotFound
from core.model import MailState
from tests.contract.conftest import T0, mail, minutes


async def test_a_mail_is_recorded_once_per_key(store):
    assert await store.record_mail(mail("k1", subject="first")) is True
    assert await store.record_mail(mail("k1", subject="second copy")) is False

    stored = await store.get_mail("k1")
    assert stored == mail("k1", subject="first")
    assert stored.etag
    assert await store.count_mails() == 1
    assert await store.get_mail("k-unknown") is None


async def test_mails_are_counted_by_state(store):
    await store.record_mail(mail("k1"))
    await store.record_mail(mail("k2", state=MailState.FORWARDED))
    await store.record_mail(mail("k3", state=MailState.FORWARDED))

    assert await store.count_mails() == 3
    assert await store.count_mails("forwarded") == 2
    assert await store.count_mails("quarantined") == 0


async def test_recent_mails_are_newest_first_for_one_address(store):
    for i in range(5):
        await store.record_mail(mail(f"k{i}", at=T0 + minutes(i)))
    await store.record_mail(mail("elsewhere", to="aws+other@example.com", at=T0 + minutes(9)))

    recent = await store.recent_mails("AWS+Billing@example.com", 3)

    assert [m.key for m in recent] == ["k4", "k3", "k2"]


async def test_only_due_waiting_mails_are_claimed(store):
    await store.record_mail(mail("due", at=T0))
    await store.record_mail(mail("retry-due", state=MailState.FAILED, next_attempt_at=T0 + minutes(1)))
    await store.record_mail(mail("retry-later", state=MailState.FAILED, next_attempt_at=T0 + minutes(30)))
    await store.record_mail(mail("not-yet", at=T0 + minutes(10)))
    await store.record_mail(mail("done", state=MailState.FORWARDED))
    await store.record_mail(mail("quarantined", state=MailState.QUARANTINED))

    claimed = await store.claim_due_mails(T0 + minutes(5), "app-1", T0 + minutes(6), 10)

    assert [m.key for m in claimed] == ["due", "retry-due"]
    assert all(m.lease_owner == "app-1" and m.lease_until == T0 + minutes(6) for m in claimed)
    assert (await store.get_mail("due")).lease_owner == "app-1"


async def test_claims_respect_the_limit_oldest_due_first(store):
    for i in range(5):
        await store.record_mail(mail(f"k{i}", at=T0 + minutes(i)))

    claimed = await store.claim_due_mails(T0 + minutes(10), "app-1", T0 + minutes(11), 2)

    assert [m.key for m in claimed] == ["k0", "k1"]


async def test_a_leased_mail_goes_to_no_one_else_until_the_lease_expires(store):
    await store.record_mail(mail("k1"))
    await store.claim_due_mails(T0, "app-1", T0 + minutes(1), 10)

    during = await store.claim_due_mails(T0 + minutes(0.5), "app-2", T0 + minutes(1.5), 10)
    after = await store.claim_due_mails(T0 + minutes(1), "app-2", T0 + minutes(2), 10)

    assert during == []
    assert [(m.key, m.lease_owner) for m in after] == [("k1", "app-2")]
    assert (await store.get_mail("k1")).lease_owner == "app-2"


async def test_two_forwarders_claiming_at_once_never_share_a_mail(store):
    for i in range(30):
        await store.record_mail(mail(f"k{i:02d}", at=T0 + minutes(i / 10)))

    batches = await asyncio.gather(*(store.claim_due_mails(T0 + minutes(5), f"app-{n}", T0 + minutes(6), 30)
                                     for n in range(4)))

    keys = [m.key for batch in batches for m in batch]
    assert len(keys) == len(set(keys))
    assert set(keys) == {f"k{i:02d}" for i in range(30)}
    for n, batch in enumerate(batches):
        assert [(await store.get_mail(m.key)).lease_owner for m in batch] == [f"app-{n}"] * len(batch)


async def test_a_forwarded_mail_is_not_claimed_again(store):
    await store.record_mail(mail("k1"))
    [leased] = await store.claim_due_mails(T0, "app-1", T0 + minutes(1), 10)

    done = await store.update_mail(replace(leased, state=MailState.FORWARDED, activity_id="act-1", attempts=1,
                                           next_attempt_at=None, lease_owner="", lease_until=None))

    assert done.etag and done.etag != leased.etag
    assert await store.claim_due_mails(T0 + minutes(5), "app-2", T0 + minutes(6), 10) == []
    stored = await store.get_mail("k1")
    assert (stored.state, stored.activity_id, stored.attempts) == (MailState.FORWARDED, "act-1", 1)


async def test_a_failed_post_waits_for_its_next_attempt(store):
    await store.record_mail(mail("k1"))
    [leased] = await store.claim_due_mails(T0, "app-1", T0 + minutes(1), 10)
    await store.update_mail(replace(leased, state=MailState.FAILED, attempts=1, last_error="429",
                                    next_attempt_at=T0 + minutes(10), lease_owner="", lease_until=None))

    assert await store.claim_due_mails(T0 + minutes(9), "app-1", T0 + minutes(10), 10) == []
    [retry] = await store.claim_due_mails(T0 + minutes(10), "app-2", T0 + minutes(11), 10)
    assert (retry.key, retry.attempts, retry.last_error) == ("k1", 1, "429")


async def test_a_mail_changed_by_someone_else_is_a_conflict(store):
    await store.record_mail(mail("k1"))
    [leased] = await store.claim_due_mails(T0, "app-1", T0 + minutes(1), 10)
    await store.claim_due_mails(T0 + minutes(2), "app-2", T0 + minutes(3), 10)  # app-1's lease expired

    with pytest.raises(Conflict):
        await store.update_mail(replace(leased, state=MailState.FORWARDED, activity_id="late"))

    assert (await store.get_mail("k1")).lease_owner == "app-2"
    assert (await store.get_mail("k1")).state is MailState.RECEIVED


async def test_updating_an_unknown_mail_is_not_found(store):
    with pytest.raises(NotFound):
        await store.update_mail(mail("k-unknown"))


async def test_urgent_mail_is_claimed_before_older_bulk_mail(store):
    for i in range(4):
        await store.record_mail(replace(mail(f"bulk{i}", at=T0 + minutes(i)), severity="normal"))
    await store.record_mail(replace(mail("low", at=T0), severity="low"))
    await store.record_mail(replace(mail("code", at=T0 + minutes(8)), severity="critical"))
    await store.record_mail(replace(mail("health", at=T0 + minutes(7)), severity="high"))

    first = await store.claim_due_mails(T0 + minutes(10), "app-1", T0 + minutes(11), 3)
    rest = await store.claim_due_mails(T0 + minutes(10), "app-1", T0 + minutes(11), 10)

    assert [m.key for m in first] == ["code", "health", "bulk0"]
    assert [m.key for m in rest] == ["bulk1", "bulk2", "bulk3", "low"]


async def test_the_claimer_itself_does_not_get_its_leased_mail_again(store):
    await store.record_mail(mail("k1"))
    await store.claim_due_mails(T0, "app-1", T0 + minutes(1), 10)

    assert await store.claim_due_mails(T0 + minutes(0.5), "app-1", T0 + minutes(1.5), 10) == []


async def test_releasing_an_owners_leases_hands_its_waiting_mail_out_again(store):
    for key in ("k1", "k2", "k3"):
        await store.record_mail(mail(key))
    mine = await store.claim_due_mails(T0, "app-1", T0 + minutes(1), 2)
    await store.claim_due_mails(T0, "app-2", T0 + minutes(1), 10)  # app-2 holds k3
    done = await store.update_mail(replace(mine[0], state=MailState.FORWARDED, lease_owner="", lease_until=None))

    assert await store.release_mail_leases("app-1") == 1  # k2; the forwarded k1 and app-2's k3 are left alone

    again = await store.claim_due_mails(T0 + minutes(0.1), "app-1", T0 + minutes(1), 10)
    assert [m.key for m in again] == [mine[1].key]
    assert (await store.get_mail("k3")).lease_owner == "app-2"
    assert (await store.get_mail(done.key)).state is MailState.FORWARDED
    assert await store.release_mail_leases("nobody") == 0


async def test_posting_marks_and_digest_ids_are_kept(store):
    await store.record_mail(mail("k1"))
    [leased] = await store.claim_due_mails(T0, "app-1", T0 + minutes(1), 10)

    marked = await store.update_mail(replace(leased, posting_since=T0 + minutes(0.2)))
    done = await store.update_mail(replace(marked, state=MailState.FORWARDED, activity_id="act-9", digest="act-9",
                                           posting_since=None, lease_owner="", lease_until=None))

    assert (await store.get_mail("k1")).posting_since is None and done.digest == "act-9"
    assert marked.posting_since == T0 + minutes(0.2)
    assert (await store.get_mail("k1")).digest == "act-9"
