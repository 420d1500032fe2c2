"""The readiness board: each part's state and since when, and the retry delays parts that reach the cloud use."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.errors import StoreUnavailable
from core.readiness import FAILING, OK, STARTING, Readiness, backoff
from storage.pending import PendingStore

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_a_part_keeps_the_time_it_first_failed_and_ready_needs_every_required_part():
    clock = Clock()
    board = Readiness(clock)
    board.add("store", "the store")
    board.add("aws", "AWS", required=False)
    assert board.get("store").state == STARTING and not board.ready
    clock.now += timedelta(minutes=1)
    board.failing("store", "connection refused")
    clock.now += timedelta(minutes=5)
    board.failing("store", "timed out")
    part = board.get("store")
    assert (part.state, part.since, part.reason) == (FAILING, T0 + timedelta(minutes=1), "timed out")
    assert part.describe() == "failing: timed out"
    board.ok("store")
    assert board.get("store").state == OK and board.get("store").since == clock.now
    assert board.ready  # AWS is still starting, but it is not required


@pytest.mark.parametrize("attempt", range(1, 40))
def test_retry_delays_grow_are_capped_and_jittered_over_their_upper_half(attempt):
    ceiling = min(60.0, 2 ** (attempt - 1))
    assert backoff(attempt, rand=lambda: 0.0) == ceiling / 2
    assert backoff(attempt, rand=lambda: 1.0) == ceiling


async def test_until_the_store_opens_every_call_says_why_and_afterwards_reaches_the_store():
    class Real:
        async def get_address(self, address):
            return f"record of {address}"
    pending = PendingStore(lambda: "RootMail is still opening its store (since 09:00 UTC)")
    with pytest.raises(StoreUnavailable, match="since 09:00 UTC"):
        await pending.get_address("a@example.com")
    pending.attach(Real())
    assert await pending.get_address("a@example.com") == "record of a@example.com"
