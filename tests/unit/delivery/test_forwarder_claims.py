"""When the forwarder claims due mail: at once for mail that trickles in, never missing a wake-up."""
from __future__ import annotations

import asyncio
import contextlib

import pytest

import core.delivery.forwarding
from core.delivery.forwarding import Forwarder
from core.delivery.lanes import LaneSettings
from storage.sqlite import open_sqlite
from tests.contract.conftest import T0, TEAM, address, mail
from tests.fakes.poster import RecordingPoster


class ClaimHook:
    """Wraps the store: runs `during` inside the next claim, after the store answered it."""

    def __init__(self, store):
        self._store, self.during, self.claims = store, None, 0
        self.sizes: list[int] = []  # how many mails each claim took

    def __getattr__(self, name):
        return getattr(self._store, name)

    async def claim_due_mails(self, *args):
        self.claims += 1
        due = await self._store.claim_due_mails(*args)
        self.sizes.append(len(due))
        if self.during:
            during, self.during = self.during, None
            await during()
        return due


@pytest.fixture
async def store(tmp_path):
    async with open_sqlite(tmp_path / "claims.db") as sqlite:
        await sqlite.create_address(address("aws+billing@example.com"))
        await sqlite.save_conversation(TEAM)
        yield ClaimHook(sqlite)


@contextlib.asynccontextmanager
async def forwarding(store, wake: asyncio.Event):
    poster = RecordingPoster()
    unlimited = LaneSettings(per_conversation=(), shared=())  # Teams' limits are core.delivery.lanes' business, not here
    task = asyncio.create_task(Forwarder(store, poster, lambda: T0, lambda m, r: {"type": "AdaptiveCard"},
                                         "test-1", lanes=unlimited).run(wake, idle_seconds=30))
    try:
        yield poster
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def posted(poster: RecordingPoster, count: int, within: float) -> None:
    async def enough() -> None:
        while len(poster.posted) < count:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(enough(), within)


async def test_mail_recorded_while_a_claim_runs_is_not_left_for_the_idle_timeout(store):
    wake = asyncio.Event()

    async def mail_arrives() -> None:  # the claim already answered "nothing due"; then this mail is recorded
        await store.record_mail(mail("late-1", subject="Arrived mid-claim"))
        wake.set()
    store.during = mail_arrives

    async with forwarding(store, wake) as poster:
        await posted(poster, 1, within=5)  # the idle timeout is 30 s

    assert poster.summaries() == [(TEAM.conversation_id, "Arrived mid-claim")]


async def test_mail_that_trickles_in_is_claimed_as_it_comes(store, monkeypatch):
    monkeypatch.setattr(core.delivery.forwarding, "CLAIM_PAUSE", 20.0)  # a fixed pause this long would fail the test
    wake = asyncio.Event()
    async with forwarding(store, wake) as poster:
        for n in range(1, 4):
            await store.record_mail(mail(f"trickle-{n}", subject=f"Mail {n}"))
            wake.set()
            await posted(poster, n, within=5)

    assert [summary for _, summary in poster.summaries()] == ["Mail 1", "Mail 2", "Mail 3"]


async def test_a_stream_is_claimed_in_batches(store, monkeypatch):
    monkeypatch.setattr(core.delivery.forwarding, "CLAIM_PAUSE", 0.5)
    wake = asyncio.Event()
    for n in range(60):
        await store.record_mail(mail(f"burst-{n:02d}", subject=f"Mail {n}"))

    async def trickle() -> None:  # right behind the burst, one mail every 20 ms (0.2 s in all), a wake-up each
        for n in range(60, 70):
            await store.record_mail(mail(f"burst-{n:02d}", subject=f"Mail {n}"))
            wake.set()
            await asyncio.sleep(0.02)
    trickling: list[asyncio.Task] = []

    async def start_trickling() -> None:
        trickling.append(asyncio.create_task(trickle()))
    store.during = start_trickling
    async with forwarding(store, wake) as poster:
        await posted(poster, 70, within=10)

    taken = [size for size in store.sizes if size]
    assert taken == [60, 10]  # the ten waited for the pause the sixty earned and came in one claim, not ten
