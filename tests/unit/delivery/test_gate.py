"""Every Bot Connector call within Teams' limits: kinds of call counted apart, 429s paused with or without Retry-After."""
from __future__ import annotations

import asyncio

import pytest

from core.delivery.gate import CREATE, MEMBERS, SEND, Gate, GatedPoster
from core.delivery.lanes import Lanes, LaneSettings, Sent
from core.delivery.ratelimit import Window
from core.model import Owner
from core.ports import PostFailed
from tests.unit.delivery.test_lanes import delivery, drain


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_kind_of_call_has_the_limits_teams_documents_for_it():
    clock = Clock()
    gate = Gate(shared=(), now=clock)
    for _ in range(7):
        gate.take(SEND, "19:c")
    for _ in range(14):
        gate.take(MEMBERS, "19:team")

    assert gate.wait(SEND, "19:c") > 0 and gate.wait(SEND, "19:other") == 0  # 7 sends / s per thread
    assert gate.wait(CREATE, "19:c") == 0  # opening 1:1 chats is counted apart from sending
    assert gate.wait(MEMBERS, "19:team") > 0  # 14 member reads / s


def test_every_call_counts_against_the_apps_share_of_the_tenant():
    gate = Gate(shared=(Window(3, 1.0),), now=Clock())
    gate.take(SEND, "19:a")
    gate.take(CREATE, "29:bob")
    gate.take(MEMBERS, "19:team")

    assert gate.wait(SEND, "19:b") > 0


def test_a_429_without_retry_after_backs_off_exponentially_with_jitter_and_a_success_resets_it():
    clock = Clock()
    gate = Gate(now=clock, jitter=lambda: 1.0)  # the top of the jitter: +20 %
    pauses = [gate.throttled(SEND, "19:c", None) for _ in range(3)]

    assert pauses == pytest.approx([2.4, 4.8, 9.6])
    assert gate.wait(SEND, "19:c") == pytest.approx(9.6)
    gate.succeeded(SEND, "19:c")
    assert gate.throttled(SEND, "19:c", None) == pytest.approx(2.4)


def test_jitter_spreads_the_pause_by_twenty_percent_either_way():
    low = Gate(now=Clock(), jitter=lambda: 0.0).throttled(SEND, "19:c", None)
    high = Gate(now=Clock(), jitter=lambda: 1.0).throttled(SEND, "19:c", None)

    assert (low, high) == pytest.approx((1.6, 2.4))


def test_retry_after_is_honoured_as_given():
    clock = Clock()
    gate = Gate(now=clock)

    assert gate.throttled(SEND, "19:c", 7.0) == 7.0
    assert gate.wait(SEND, "19:c") == pytest.approx(7.0)


async def test_a_throttled_post_without_retry_after_pauses_the_conversations_lane():
    answers = [Sent(throttled=True), Sent(posted=True)]

    async def send(batch):
        return answers.pop(0)

    gate = Gate({SEND: (Window(50, 1.0),)}, shared=(), backoff_base=30.0)
    lanes = Lanes(send, LaneSettings(digest_threshold=0, margin=0.0), gate=gate)
    lanes.add(delivery("m1"))

    await drain(lanes)

    assert gate.wait(SEND, "19:platform") > 20  # paused for the backoff, not free to post again at once
    assert answers == [Sent(posted=True)]


async def test_posts_outside_the_lanes_wait_their_turn_and_pause_on_a_429():
    calls: list[str] = []

    class Poster:
        async def post(self, owner, card, summary, urgent=False):
            calls.append(owner.conversation_id)
            if len(calls) == 2:
                raise PostFailed("Bot Connector answered 429", throttled=True)
            return "id"

    clock = Clock()
    gate = Gate({SEND: (Window(1, 1.0),)}, shared=(), now=clock, backoff_base=10.0, jitter=lambda: 0.5)
    poster = GatedPoster(Poster(), gate)
    await poster.post(Owner("19:c"), {}, "one")
    waited = asyncio.create_task(poster.post(Owner("19:c"), {}, "two"))
    await asyncio.sleep(0.05)
    assert not waited.done() and calls == ["19:c"]  # the window of 1 per second is full
    clock.now += 1.0
    with pytest.raises(PostFailed):
        await asyncio.wait_for(waited, 5)
    assert gate.wait(SEND, "19:c") == pytest.approx(10.0)
