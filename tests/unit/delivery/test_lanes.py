"""Per-conversation lanes: urgent mail first, digests above the threshold, Teams' windows never overflowed."""
from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from core.delivery.lanes import Delivery, Lanes, LaneSettings, Sent, plan
from core.model import InboundMail, MailState, Owner
from core.delivery.ratelimit import Window
from tests.unit.delivery.test_ratelimit import overflowing

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)


def delivery(key: str, severity: str = "normal", to: str = "19:platform", minute: int = 0) -> Delivery:
    mail = InboundMail(key=key, message_id=f"<{key}>", address=f"{key}@example.com", sender="aws", subject=key,
                       received_at=T0 + timedelta(minutes=minute), preview="", state=MailState.RECEIVED,
                       severity=severity)
    return Delivery(mail, Owner(to), None, MailState.FORWARDED)


def keys(batch: list[Delivery]) -> list[str]:
    return [d.mail.key for d in batch]


def ordered(*deliveries: Delivery) -> list[Delivery]:
    return sorted(deliveries, key=lambda d: d.urgency)


def test_a_short_queue_posts_its_most_urgent_mail_alone():
    queue = ordered(delivery("bill"), delivery("code", "critical", minute=3), delivery("health", "high"))

    assert keys(plan(queue, threshold=10, most=25)) == ["code"]


def test_a_long_queue_is_folded_into_a_digest_after_its_critical_mail():
    queue = ordered(*[delivery(f"bill{i:02d}", minute=i) for i in range(12)], delivery("code", "critical"))

    assert keys(plan(queue, threshold=10, most=25)) == ["code"]
    assert keys(plan(queue[1:], threshold=10, most=5)) == ["bill00", "bill01", "bill02", "bill03", "bill04"]


def test_critical_mail_over_the_threshold_is_folded_too():
    queue = ordered(*[delivery(f"code{i:02d}", "critical", minute=i) for i in range(12)])

    assert len(plan(queue, threshold=10, most=25)) == 12


def test_threshold_zero_never_folds():
    queue = ordered(*[delivery(f"bill{i:02d}") for i in range(40)])

    assert len(plan(queue, threshold=0, most=25)) == 1


class Recorder:
    """A send that records what went out when; optionally answers like a throttled connector once."""

    def __init__(self, retry_after: float | None = None):
        self.posts: list[tuple[float, str, list[str]]] = []
        self.started = time.monotonic()
        self.retry_after = retry_after

    async def send(self, batch: list[Delivery]) -> Sent:
        if self.retry_after is not None:
            pause, self.retry_after = self.retry_after, None
            self.posts.append((time.monotonic() - self.started, "429", keys(batch)))
            return Sent(batch, pause)
        self.posts.append((time.monotonic() - self.started, batch[0].target.conversation_id, keys(batch)))
        await asyncio.sleep(0.001)
        return Sent(posted=True)


async def drain(lanes: Lanes, timeout: float = 10.0) -> None:
    runner = asyncio.create_task(lanes.run())
    try:
        await asyncio.wait_for(lanes.wait_idle(), timeout)
    finally:
        runner.cancel()


FAST = LaneSettings(digest_threshold=0, per_conversation=(Window(2, 0.2),), shared=(Window(3, 0.2),), margin=0.0)


async def test_every_mail_goes_out_once_and_no_window_overflows():
    recorder = Recorder()
    lanes = Lanes(recorder.send, FAST)
    for i in range(12):
        lanes.add(delivery(f"m{i:02d}", to=f"19:c{i % 3}"))

    await drain(lanes)

    sent = [k for _, _, ks in recorder.posts for k in ks]
    assert sorted(sent) == [f"m{i:02d}" for i in range(12)]
    for conversation in ("19:c0", "19:c1", "19:c2"):
        assert not overflowing([t for t, c, _ in recorder.posts if c == conversation], [Window(2, 0.19)])
    assert not overflowing([t for t, _, _ in recorder.posts], [Window(3, 0.19)])


async def test_urgent_mail_in_one_channel_goes_before_bulk_in_others():
    recorder = Recorder()
    lanes = Lanes(recorder.send, FAST)
    for i in range(9):
        lanes.add(delivery(f"bulk{i}", to=f"19:c{i % 3}"))
    lanes.add(delivery("code", "critical", to="19:c9", minute=5))

    await drain(lanes)

    assert recorder.posts[0][2] == ["code"]


async def test_a_backlog_is_posted_as_digests_in_far_fewer_posts():
    recorder = Recorder()
    lanes = Lanes(recorder.send, LaneSettings(digest_threshold=3, digest_most=10, per_conversation=(Window(2, 0.2),),
                                              shared=(Window(50, 1.0),), margin=0.0))
    for i in range(25):
        lanes.add(delivery(f"bill{i:02d}", minute=i))
    lanes.add(delivery("code", "critical", minute=30))

    await drain(lanes)

    batches = [ks for _, _, ks in recorder.posts]
    assert batches[0] == ["code"]
    assert [len(b) for b in batches[1:]] == [10, 10, 5]  # folded while more than 3 wait
    assert sorted(k for b in batches for k in b) == sorted(["code"] + [f"bill{i:02d}" for i in range(25)])
    assert lanes.digests == 3


async def test_retry_after_pauses_the_conversation_and_the_mail_goes_later():
    recorder = Recorder(retry_after=0.3)
    lanes = Lanes(recorder.send, FAST)
    lanes.add(delivery("m1"))

    await drain(lanes)

    (throttled_at, status, _), (posted_at, _, posted) = recorder.posts
    assert status == "429" and posted == ["m1"]
    assert posted_at - throttled_at == pytest.approx(0.3, abs=0.1)


def test_doubt_is_what_the_claim_found_not_the_mark_of_this_attempt():
    fresh = delivery("m1")
    fresh.mail = replace(fresh.mail, posting_since=T0)  # this attempt's own mark

    claimed_in_doubt = Delivery(replace(delivery("m2").mail, posting_since=T0), Owner("19:c"), None,
                                MailState.FORWARDED)

    assert not fresh.in_doubt and claimed_in_doubt.in_doubt


async def test_a_mail_held_in_a_lane_is_known_until_its_post_is_done():
    recorder = Recorder()
    lanes = Lanes(recorder.send, FAST)
    lanes.add(delivery("m1"))

    assert lanes.holds("m1")
    await drain(lanes)
    assert not lanes.holds("m1")


def test_quarantined_mail_is_never_folded_into_a_digest():
    held = [Delivery(delivery(f"spoof{i:02d}", minute=i).mail, Owner("19:admins"), None, MailState.QUARANTINED)
            for i in range(15)]
    unknown = [Delivery(delivery(f"stray{i:02d}", minute=20 + i).mail, Owner("19:admins"), None, MailState.UNMAPPED)
               for i in range(12)]
    queue = ordered(*held, *unknown)

    assert keys(plan(queue, threshold=10, most=25)) == ["spoof00"]
    assert keys(plan(ordered(*unknown, held[0]), threshold=10, most=25)) == ["spoof00"]
    assert len(plan(ordered(*unknown), threshold=10, most=25)) == 12
