"""A digest's delivery state in two store calls (marks, then outcomes), not two per mail, with every guarantee kept."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from core.delivery.courier import DIGEST_FLAG, Courier
from core.delivery.lanes import Delivery
from core.errors import StoreUnavailable
from core.model import MailState, Owner
from storage.sqlite import open_sqlite
from tests.contract.conftest import mail
from tests.fakes.poster import RecordingPoster

TEAM = Owner("19:c")


def now() -> datetime:
    return datetime.now(timezone.utc)


class Digests:
    """Every delivery in one digest card."""

    def single(self, delivery):
        return {"body": [delivery.mail.key]}

    def digest(self, deliveries):
        return {"body": [d.mail.key for d in deliveries]}, len(deliveries)


class Counted:
    """The real store; counts mail writes, and can answer the n-th batch write 'unavailable' after writing it."""

    def __init__(self, store):
        self.store, self.calls, self.lose_answer_of_batch = store, [], 0

    def __getattr__(self, name):
        return getattr(self.store, name)

    async def update_mail(self, one):
        self.calls.append("update_mail")
        return await self.store.update_mail(one)

    async def update_mails(self, many):
        self.calls.append(f"update_mails({len(many)})")
        written = await self.store.update_mails(many)
        if len([c for c in self.calls if c.startswith("update_mails")]) == self.lose_answer_of_batch:
            raise StoreUnavailable("the answer never came")  # written, though it seemed to fail
        return written


@pytest.fixture
async def store(tmp_path):
    async with open_sqlite(tmp_path / "courier.db") as sqlite:
        yield Counted(sqlite)


async def claimed(store, count: int) -> list[Delivery]:
    for i in range(count):
        await store.record_mail(mail(f"k{i}", at=now() - timedelta(seconds=1)))
    due = await store.claim_due_mails(now(), "one", now() + timedelta(seconds=60), count)
    return [Delivery(m, TEAM, None, MailState.FORWARDED) for m in sorted(due, key=lambda m: m.key)]


def courier(store, poster) -> Courier:
    return Courier(store, poster, now, Digests(), "one")


async def test_a_digest_writes_its_marks_and_its_outcomes_in_one_store_call_each(store):
    poster = RecordingPoster()
    batch = await claimed(store, 8)

    sent = await courier(store, poster).send(batch)

    assert sent.posted and [p.card["body"] for p in poster.posted] == [[f"k{i}" for i in range(8)]]
    assert store.calls == ["update_mails(8)", "update_mails(8)"]
    stored = [await store.get_mail(f"k{i}") for i in range(8)]
    assert {(m.state, m.activity_id, m.digest, m.posting_since, m.lease_owner) for m in stored} == {
        (MailState.FORWARDED, "activity-1", "activity-1", None, "")}
    assert await store.get_flag(DIGEST_FLAG + "activity-1") == ",".join(f"k{i}" for i in range(8))


async def test_a_single_mail_keeps_its_single_writes(store):
    [only] = await claimed(store, 1)

    await courier(store, RecordingPoster()).send([only])

    assert store.calls == ["update_mail", "update_mail"]
    assert (await store.get_mail("k0")).state is MailState.FORWARDED


async def test_a_mail_taken_over_before_the_mark_leaves_the_digest_and_its_neighbours_go(store):
    poster = RecordingPoster()
    batch = await claimed(store, 4)
    taken = await store.store.get_mail("k2")
    await store.store.update_mail(replace(taken, lease_owner="two", lease_until=now() + timedelta(seconds=60)))

    await courier(store, poster).send(batch)

    assert [p.card["body"] for p in poster.posted] == [["k0", "k1", "k3"]]
    assert (await store.get_mail("k2")).lease_owner == "two" and (await store.get_mail("k2")).posting_since is None
    assert [(await store.get_mail(k)).state for k in ("k0", "k1", "k3")] == [MailState.FORWARDED] * 3


async def test_a_renewed_lease_only_moves_the_etag_and_the_mail_is_still_marked_and_posted(store):
    poster = RecordingPoster()
    batch = await claimed(store, 3)
    renewed = await store.store.get_mail("k1")
    await store.store.update_mail(replace(renewed, lease_until=now() + timedelta(seconds=90)))  # a renewal

    await courier(store, poster).send(batch)

    assert [p.card["body"] for p in poster.posted] == [["k0", "k1", "k2"]]
    assert [(await store.get_mail(k)).state for k in ("k0", "k1", "k2")] == [MailState.FORWARDED] * 3


async def test_outcomes_written_though_the_store_seemed_away_are_recognised_and_not_posted_again(store):
    poster = RecordingPoster()
    batch = await claimed(store, 5)
    store.lose_answer_of_batch = 2  # the outcomes' batch (the marks are the first) is written; its answer is lost

    await courier(store, poster).send(batch)

    assert len(poster.posted) == 1
    stored = [await store.get_mail(f"k{i}") for i in range(5)]
    assert {(m.state, m.activity_id, m.attempts) for m in stored} == {(MailState.FORWARDED, "activity-1", 1)}
    assert await store.claim_due_mails(now() + timedelta(minutes=5), "two", now() + timedelta(minutes=6), 10) == []
    assert store.calls == ["update_mails(5)", "update_mails(5)"] + ["update_mail"] * 5  # each then checked alone


async def test_marks_written_though_the_store_seemed_away_are_made_again_alone_and_the_digest_goes(store):
    poster = RecordingPoster()
    batch = await claimed(store, 3)
    store.lose_answer_of_batch = 1  # the marks' batch is written; its answer is lost

    sent = await courier(store, poster).send(batch)

    assert sent.posted and [p.card["body"] for p in poster.posted] == [["k0", "k1", "k2"]]
    stored = [await store.get_mail(f"k{i}") for i in range(3)]
    assert {(m.state, m.activity_id, m.posting_since) for m in stored} == {(MailState.FORWARDED, "activity-1", None)}
