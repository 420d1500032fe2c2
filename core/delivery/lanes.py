"""Per-conversation lanes: each conversation's pending mail, most urgent first, posted as fast as Teams' limits allow.

One scheduler hands out send slots. A lane may post when its conversation's limiter and the app-wide limiter both
allow and it has nothing in flight; among ready lanes the most urgent head goes first (severity, then the longer
backlog, then age), so a code or a suspension never waits behind a billing burst. A lane whose backlog is over the
threshold folds its pending mail into one digest post instead of falling minutes or hours behind (core.delivery.lanes.plan).
"""
from __future__ import annotations

import asyncio
import bisect
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Awaitable, Callable, Iterable

from core.intake.aws_mail_rules import CRITICAL, HIGH, LOW, NORMAL
from core.model import InboundMail, MailState, Owner, RootAddress
from core.delivery.gate import SEND, Gate
from core.delivery.ratelimit import TEAMS_APP_PER_TENANT, TEAMS_CONVERSATION, Limiter, Window

logger = logging.getLogger(__name__)

RANK = {CRITICAL: 0, HIGH: 1, NORMAL: 2, LOW: 3}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(eq=False)
class Delivery:
    """A claimed mail on its way to one conversation, and what it becomes once posted."""

    mail: InboundMail
    target: Owner
    record: RootAddress | None
    final: MailState  # FORWARDED, UNMAPPED or QUARANTINED
    doubt: datetime | None = field(default=None, init=False)  # when the attempt began that may have gone through

    def __post_init__(self) -> None:
        self.doubt = self.mail.posting_since  # as claimed: marks written for this attempt do not count

    @property
    def in_doubt(self) -> bool:
        """An earlier attempt may have reached the channel: the process stopped between the post and its record,
        or the post timed out."""
        return self.doubt is not None

    @property
    def urgency(self) -> tuple[int, datetime]:
        return RANK.get(self.mail.severity, RANK[NORMAL]), self.mail.received_at or _EPOCH


def plan(queue: list[Delivery], threshold: int, most: int, crowded: bool = False) -> list[Delivery]:
    """What the next post of a conversation carries, from its queue (most urgent first).

    Up to `threshold` pending mails, one card each. Above it, or whenever `crowded` (all conversations together are
    behind), a digest of up to `most` mails, most urgent first; critical mail still goes alone first unless critical
    mail itself is over the threshold. Quarantined mail always gets its own card: admins need each one's reason.
    threshold 0: never fold."""
    if not queue:
        return []
    head = queue[0]
    if threshold <= 0 or most <= 1 or head.final is MailState.QUARANTINED:
        return [head]
    foldable = [d for d in queue if d.final is not MailState.QUARANTINED]
    if len(foldable) <= (1 if crowded else threshold):
        return [head]
    critical = sum(1 for d in foldable if d.mail.severity == CRITICAL)
    if head.mail.severity == CRITICAL and critical <= threshold:
        return [head]
    return foldable[critical if critical <= threshold else 0:][:most]


@dataclass
class Sent:
    """What became of a post: deliveries it did not carry go back to the lane; `retry_after` pauses the lane."""

    leftover: list[Delivery] = field(default_factory=list)
    retry_after: float | None = None
    posted: bool = False  # the Bot Connector accepted the post
    throttled: bool = False  # Teams answered 429: the lane pauses even when no Retry-After came with it


Send = Callable[[list[Delivery]], Awaitable[Sent]]


@dataclass(eq=False)
class Lane:
    conversation_id: str
    limiter: Limiter
    queue: list[Delivery] = field(default_factory=list)
    busy: bool = False
    ready_at: float = float("-inf")  # its windows are full until then (valid until it posts or is paused)

    def add(self, delivery: Delivery) -> None:
        bisect.insort(self.queue, delivery, key=lambda d: d.urgency)

    def priority(self) -> tuple:
        head = self.queue[0].urgency
        return head[0], -len(self.queue), head[1]


@dataclass
class LaneSettings:
    digest_threshold: int = 10
    digest_most: int = 30
    concurrency: int = 16  # posts in flight over all lanes
    per_conversation: tuple[Window, ...] = TEAMS_CONVERSATION
    shared: tuple[Window, ...] = TEAMS_APP_PER_TENANT  # one tenant: every conversation together
    margin: float = 0.01  # seconds added to every window, on top of counting each post from its answer
    crowded_after: float = 10.0  # fold every lane once all lanes hold more than the shared limit lets out in this

    @property
    def shared_rate(self) -> float | None:
        """Posts per second the shared windows allow in the long run; None without shared windows."""
        return min((w.limit / w.seconds for w in self.shared), default=None)


class Lanes:
    """The scheduler. `run()` until cancelled; `add()` deliveries; `send` posts one plan and says how it went."""

    def __init__(self, send: Send, settings: LaneSettings | None = None, now: Callable[[], float] = time.monotonic,
                 gate: Gate | None = None):
        """`gate` holds the limiters every other Bot Connector call of the app counts in too (card updates, 1:1
        chats, member reads); without one the lanes keep their own."""
        self._send, self.settings, self._now = send, settings or LaneSettings(), now
        self.gate = gate or Gate({SEND: self.settings.per_conversation}, self.settings.shared, self.settings.margin,
                                 now)
        self.lanes: dict[str, Lane] = {}
        self.shared = self.gate.shared
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._in_flight: set[asyncio.Task] = set()
        self._held: set[str] = set()
        self.behind = False  # more mail is due in the store than the last claim took: every lane folds
        self.posts = 0
        self.digests = 0

    # --- what the rest of RootMail sees ---------------------------------------------------------------------------
    def holds(self, key: str) -> bool:
        """The mail is waiting in a lane or being posted: a second claim of it (its lease ran out meanwhile) must
        not put it in a lane twice."""
        return key in self._held

    def add(self, delivery: Delivery) -> None:
        self._held.add(delivery.mail.key)
        cid = delivery.target.conversation_id
        lane = self.lanes.get(cid)
        if lane is None:
            lane = self.lanes[cid] = Lane(cid, self.gate.limiter(SEND, cid))
        lane.add(delivery)
        self._idle.clear()
        self._wake.set()

    @property
    def queued(self) -> int:
        """Deliveries waiting in lanes (not counting those in flight)."""
        return sum(len(lane.queue) for lane in self.lanes.values())

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def depths(self) -> dict[str, int]:
        return {cid: len(lane.queue) for cid, lane in self.lanes.items() if lane.queue}

    def waiting(self) -> Iterable[Delivery]:
        for lane in self.lanes.values():
            yield from lane.queue

    def is_waiting(self, delivery: Delivery) -> bool:
        """Still in its lane: not taken for posting."""
        lane = self.lanes.get(delivery.target.conversation_id)
        return lane is not None and any(d is delivery for d in lane.queue)

    def drop(self, delivery: Delivery) -> None:
        """Forget a delivery (its lease went to someone else)."""
        lane = self.lanes.get(delivery.target.conversation_id)
        if lane and delivery in lane.queue:
            lane.queue.remove(delivery)
            self._held.discard(delivery.mail.key)

    async def wait_idle(self) -> None:
        """Until every lane is empty and nothing is in flight."""
        await self._idle.wait()

    # --- the scheduler ---------------------------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            while True:
                lane, wait = self._pick(self._now())
                if lane is None:
                    await self._sleep(wait)
                    continue
                self._start(lane)
        finally:
            for task in list(self._in_flight):
                task.cancel()

    def _pick(self, now: float) -> tuple[Lane | None, float | None]:
        """The lane that posts now, or None and how long nothing can go (None: until something changes)."""
        if len(self._in_flight) >= self.settings.concurrency:
            return None, None
        if not self._in_flight and not any(lane.queue for lane in self.lanes.values()):
            self._idle.set()
            return None, None
        shared_wait = self.shared.wait(now)  # first: while the app-wide window is full, no lane needs a look
        if shared_wait > 0:
            return None, shared_wait
        best, best_key, soonest = None, None, None
        for lane in self.lanes.values():
            if not lane.queue or lane.busy:
                continue
            if lane.ready_at > now:  # its own windows are full until then: known from an earlier look
                wait = lane.ready_at - now
            else:
                wait = lane.limiter.wait(now)
                lane.ready_at = now + wait
            if wait > 0:
                soonest = wait if soonest is None else min(soonest, wait)
                continue
            key = lane.priority()
            if best_key is None or key < best_key:
                best, best_key = lane, key
        return best, (0.0 if best else soonest)

    def _start(self, lane: Lane) -> None:
        now = self._now()
        rate = self.settings.shared_rate
        crowded = self.behind or rate is not None and self.queued > rate * self.settings.crowded_after
        batch = plan(lane.queue, self.settings.digest_threshold, self.settings.digest_most, crowded)
        chosen = set(map(id, batch))
        lane.queue = [d for d in lane.queue if id(d) not in chosen]
        lane.limiter.record(now)
        self.shared.record(now)
        lane.busy = True
        task = asyncio.create_task(self._post(lane, batch, now), name=f"post:{lane.conversation_id}")
        self._in_flight.add(task)

    async def _post(self, lane: Lane, batch: list[Delivery], sent_at: float) -> None:
        try:
            outcome = await self._send(batch)
        except asyncio.CancelledError:
            raise
        except Exception:  # the deliveries keep their leases and come back once those expire
            logger.exception("posting to a conversation failed unexpectedly",
                             extra={"conversation": lane.conversation_id, "mails": len(batch)})
            outcome = Sent()
        done_at = self._now()
        lane.limiter.settle(sent_at, done_at)
        self.shared.settle(sent_at, done_at)
        if outcome.posted:
            self.posts += 1
            self.digests += len(batch) - len(outcome.leftover) > 1
            self.gate.succeeded(SEND, lane.conversation_id)
        back = set(map(id, outcome.leftover))
        self._held.difference_update(d.mail.key for d in batch if id(d) not in back)
        for delivery in outcome.leftover:
            lane.add(delivery)
        if outcome.throttled:  # with or without Retry-After: Teams promises neither, only asks for backoff
            self.gate.throttled(SEND, lane.conversation_id, outcome.retry_after)
        elif outcome.retry_after is not None:
            lane.limiter.pause(self._now() + outcome.retry_after)
        lane.ready_at = float("-inf")
        lane.busy = False
        self._in_flight.discard(asyncio.current_task())
        self._wake.set()

    async def _sleep(self, seconds: float | None) -> None:
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except asyncio.TimeoutError:
            pass
