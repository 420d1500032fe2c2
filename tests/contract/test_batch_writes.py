"""update_mails: a digest's writes in one call, each mail with update_mail's etag rules, one outcome per mail in order."""
from __future__ import annotations

from dataclasses import replace

from core.errors import Conflict, NotFound
from core.model import InboundMail, MailState
from tests.contract.conftest import T0, mail, minutes


async def leased(store, *keys: str) -> list[InboundMail]:
    for key in keys:
        await store.record_mail(mail(key))
    claimed = {m.key: m for m in await store.claim_due_mails(T0, "app-1", T0 + minutes(1), len(keys))}
    return [claimed[key] for key in keys]


def forwarded(leased_mail: InboundMail) -> InboundMail:
    return replace(leased_mail, state=MailState.FORWARDED, activity_id="act-1", digest="act-1", attempts=1,
                   posted_to="19:c", next_attempt_at=None, lease_owner="", lease_until=None)


async def test_every_mail_of_a_batch_is_written_and_comes_back_with_its_new_etag(store):
    mails = await leased(store, "k1", "k2", "k3")

    outcomes = await store.update_mails([forwarded(m) for m in mails])

    assert [o.key for o in outcomes] == ["k1", "k2", "k3"]
    for before, outcome in zip(mails, outcomes):
        assert isinstance(outcome, InboundMail) and outcome.etag and outcome.etag != before.etag
        assert outcome == await store.get_mail(before.key)
        assert (outcome.state, outcome.activity_id, outcome.digest) == (MailState.FORWARDED, "act-1", "act-1")
    assert await store.count_mails(MailState.FORWARDED.value) == 3


async def test_a_stale_mail_is_a_conflict_for_it_alone_and_its_neighbours_are_written(store):
    mails = await leased(store, "k1", "k2", "k3")
    moved_on = await store.update_mail(replace(mails[1], lease_until=T0 + minutes(2)))  # e.g. another instance

    outcomes = await store.update_mails([forwarded(m) for m in mails])

    assert isinstance(outcomes[1], Conflict)
    assert [o.state for o in (outcomes[0], outcomes[2])] == [MailState.FORWARDED] * 2
    assert await store.get_mail("k2") == moved_on  # untouched by the stale write
    assert [(await store.get_mail(k)).state for k in ("k1", "k3")] == [MailState.FORWARDED] * 2


async def test_a_missing_mail_is_not_found_for_it_alone(store):
    [first, last] = await leased(store, "k1", "k3")

    outcomes = await store.update_mails([forwarded(first), forwarded(mail("k-unknown")), forwarded(last)])

    assert isinstance(outcomes[1], NotFound)
    assert [outcomes[0].key, outcomes[2].key] == ["k1", "k3"]
    assert await store.get_mail("k-unknown") is None
    assert [(await store.get_mail(k)).state for k in ("k1", "k3")] == [MailState.FORWARDED] * 2


async def test_an_empty_batch_writes_nothing(store):
    [only] = await leased(store, "k1")

    assert await store.update_mails([]) == []
    assert await store.get_mail("k1") == only


async def test_a_batch_can_be_written_again_with_the_etags_it_returned(store):
    mails = await leased(store, "k1", "k2")
    marked = await store.update_mails([replace(m, posting_since=T0 + minutes(0.2)) for m in mails])

    done = await store.update_mails([forwarded(replace(m, posting_since=None)) for m in marked])

    assert [(d.key, d.state, d.posting_since) for d in done] == [("k1", MailState.FORWARDED, None),
                                                                 ("k2", MailState.FORWARDED, None)]
    stale = await store.update_mails(marked)  # the marks' etags are gone now
    assert all(isinstance(o, Conflict) for o in stale)
