"""Posting received mail to the owning conversation, exactly once per mail, retried until it goes through.

The forwarder leases due mail (most urgent first), decides where each goes, and hands it to that conversation's
lane (core.delivery.lanes), which posts within Teams' limits; core.delivery.courier records each post. It leases only what the lanes
can hold, and renews the leases of mail that waits in a lane, so no other instance takes it meanwhile.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import Any, Awaitable, Callable

from core import metrics as m
from core.delivery.courier import Courier, DeliveryCards
from core.delivery.gate import Gate
from core.intake.inspection import UNVERIFIED
from core.intake.leak_guard import LeakGuard
from core.delivery.lanes import Delivery, Lanes, LaneSettings
from core.errors import StoreUnavailable
from core.metrics import Metrics, NoMetrics
from core.tasks import cancel_all
from core.model import InboundMail, MailState, Owner, RootAddress
from core.ports import Clock, Poster, Store

logger = logging.getLogger(__name__)

MailCard = Callable[[InboundMail, RootAddress | None], dict[str, Any]]
FAILED_ROUND_PAUSE = 1.0  # seconds after a round that failed (the store away) before claiming again
CLAIM_PAUSE = 0.25  # at most this long between claims while a stream of mail keeps arriving
PAUSE_PER_MAIL = 0.01  # the pause after a claim grows by this per mail it found (see Forwarder.run)
Divert = Callable[[InboundMail], Awaitable[bool]]


class PlainCards:
    """One card per mail, never a digest (for wiring without cards.digest)."""

    def __init__(self, render: MailCard, quarantine: MailCard | None):
        self.render, self.quarantine = render, quarantine or render

    def single(self, delivery: Delivery) -> dict[str, Any]:
        render = self.quarantine if delivery.final is MailState.QUARANTINED else self.render
        return render(delivery.mail, delivery.record)

    def digest(self, deliveries: list[Delivery]) -> tuple[dict[str, Any], int]:
        return self.single(deliveries[0]), 1


def _room(lanes: LaneSettings, lease: timedelta) -> int:
    """How much mail to hold in lanes: what can go out within half a lease (so leases rarely need renewing), counted
    in digests when they fold; lanes that see a conversation's whole backlog can fold it into few posts."""
    posts = (lanes.shared_rate or 50.0) * lease.total_seconds() / 2
    per_post = lanes.digest_most if lanes.digest_threshold > 0 else 1
    return int(min(max(posts * per_post, 100), 20_000))


class Forwarder:
    def __init__(self, store: Store, poster: Poster, clock: Clock, render: MailCard, instance_id: str,
                 admin_conversation: str | None = None, settled: Callable[[InboundMail], object] | None = None,
                 quarantine: MailCard | None = None, *, cards: DeliveryCards | None = None,
                 lanes: LaneSettings | None = None, metrics: Metrics | None = None, batch: int = 250,
                 max_queued: int | None = None, lease: timedelta = timedelta(seconds=60),
                 guard: LeakGuard | None = None, gate: Gate | None = None):
        self.store, self.clock, self.instance_id = store, clock, instance_id
        self.admin_conversation = admin_conversation
        self.metrics = metrics or NoMetrics()
        self.batch, self.max_queued = batch, max_queued or _room(lanes or LaneSettings(), lease)
        self.courier = Courier(store, poster, clock, cards or PlainCards(render, quarantine), instance_id, lease,
                               settled=settled, metrics=self.metrics, guard=guard or LeakGuard(None))
        self.lanes = Lanes(self.courier.send, lanes, gate=gate)
        self._dispatcher: asyncio.Task | None = None
        # Asked about each verified mail; True keeps it out of every channel as CONSUMED (core.adoption.adopter: the
        # update code of an account RootMail is adopting is RootMail's own).
        self.divert: Divert | None = None

    # knobs tests and the composition root set after construction
    @property
    def settled(self) -> Callable[[InboundMail], object] | None:
        return self.courier.settled

    @settled.setter
    def settled(self, hook: Callable[[InboundMail], object] | None) -> None:
        self.courier.settled = hook

    @property
    def base_backoff(self) -> float:
        return self.courier.base_backoff

    @base_backoff.setter
    def base_backoff(self, seconds: float) -> None:
        self.courier.base_backoff = seconds

    @property
    def queued(self) -> int:
        return self.lanes.queued

    async def run_once(self) -> int:
        """Post every mail that is due now; return how many were handled."""
        handled = await self._feed(self.batch)
        if self._dispatcher is not None and not self._dispatcher.done():
            await self.lanes.wait_idle()
            return handled
        dispatcher = asyncio.create_task(self.lanes.run())
        try:
            await self.lanes.wait_idle()
        finally:
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
        return handled

    async def run(self, wake: asyncio.Event, idle_seconds: float = 5.0) -> None:
        """Forward until cancelled; `wake` is set by sources when new mail arrives."""
        released = await self.store.release_mail_leases(self.instance_id)
        if released:
            logger.warning("took back mail leased by this instance's previous run", extra={"mails": released})
        self._dispatcher = asyncio.create_task(self.lanes.run(), name="lanes")
        renewer = asyncio.create_task(self._renew_every(), name="lease-renewal")
        try:
            while True:
                room = self.max_queued - self.lanes.queued
                if room <= 0:
                    await asyncio.sleep(0.05)
                    continue
                limit = min(self.batch, room)
                wake.clear()  # before the claim: mail recorded while it runs wakes the next one
                started = time.monotonic()
                try:
                    handled = await self._feed(limit)
                except StoreUnavailable as away:  # expected during an outage: one line, no traceback
                    logger.warning("forwarding waits for the store", extra={"reason": str(away)[:200]})
                    await asyncio.sleep(FAILED_ROUND_PAUSE)
                    continue
                except Exception:
                    logger.exception("forwarding round failed; will retry")
                    await asyncio.sleep(FAILED_ROUND_PAUSE)
                    continue
                if handled >= limit:  # more may be due right now
                    continue
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wake.wait(), self._sleep_for(idle_seconds))
                # Each claim is a store query. Mail that trickles in is claimed as it comes (a claim that found one
                # mail waits 10 ms at most); a stream of more than ~100 mails/s makes every claim find more, so the
                # pause grows to CLAIM_PAUSE and the stream is claimed in batches a lane can fold into digests.
                pause = min(CLAIM_PAUSE, handled * PAUSE_PER_MAIL) - (time.monotonic() - started)
                if pause > 0:
                    await asyncio.sleep(pause)
        finally:
            await cancel_all([self._dispatcher, renewer])

    def _sleep_for(self, idle_seconds: float) -> float:
        """Idle until new mail wakes us, or until the earliest retry this instance scheduled."""
        retry = self.courier.next_retry
        if retry is None:
            return idle_seconds
        wait = (retry - self.clock()).total_seconds()
        self.courier.next_retry = None
        return min(max(wait, 0.0), idle_seconds)

    async def _feed(self, limit: int) -> int:
        now = self.clock()
        due = await self.store.claim_due_mails(now, self.instance_id, now + self.courier.lease, limit)
        self.lanes.behind = len(due) >= limit
        fresh = [mail for mail in due if not self.lanes.holds(mail.key)]  # held: claimed again after its lease ran
        routes = await asyncio.gather(*(self._route(mail) for mail in fresh), return_exceptions=True)  # out
        routed = []
        for mail, delivery in zip(fresh, routes):
            if isinstance(delivery, BaseException):  # the store was away for this one: back when its lease ends
                logger.warning("could not route a mail; it is tried again later",
                               extra={"mail_key": mail.key, "error": type(delivery).__name__})
            elif delivery.target.conversation_id:
                routed.append(delivery)
            else:
                await self.courier.finish_unposted(delivery)
        for delivery in routed:  # all at once: a lane sees the batch's whole backlog before it posts any of it
            self.lanes.add(delivery)
        return len(due)

    async def _route(self, mail: InboundMail) -> Delivery:
        """Where a mail goes: its owner; unverified mail to the admins only; a diverted code nowhere; unknown
        addresses to the admins.
        A target without a conversation id means nowhere: the mail is only recorded."""
        record = await self.store.get_address(mail.address)
        if mail.attempts == 0 and mail.posting_since is None:
            self.metrics.count(m.RECEIVED)
        nowhere = Owner("")
        if mail.verdict == UNVERIFIED:
            return Delivery(mail, await self._admin() or nowhere, record, MailState.QUARANTINED)
        if self.divert is not None and await self.divert(mail):
            return Delivery(mail, nowhere, record, MailState.CONSUMED)
        if record is not None:
            return Delivery(mail, record.owner, record, MailState.FORWARDED)
        admin = await self._admin()
        if admin is None:
            logger.info("mail for unknown address recorded as unmapped", extra={"mail_key": mail.key})
        return Delivery(mail, admin or nowhere, None, MailState.UNMAPPED)

    async def _admin(self) -> Owner | None:
        if not self.admin_conversation:
            return None
        return await self.store.get_conversation(self.admin_conversation)

    async def _renew_every(self) -> None:
        """Mail waiting in a lane keeps its lease: renewed when less than half of it is left."""
        while True:
            lease = self.courier.lease
            await asyncio.sleep(lease.total_seconds() / 4)
            soon = self.clock() + lease / 2
            for delivery in [d for d in self.lanes.waiting() if d.mail.lease_until and d.mail.lease_until < soon]:
                if not self.lanes.is_waiting(delivery):  # taken for posting meanwhile: its mark extends the lease
                    continue
                try:
                    if not await self.courier.renew(delivery):
                        self.lanes.drop(delivery)
                except Exception:  # a renewal round must never end renewals
                    logger.exception("renewing a lease failed", extra={"mail_key": delivery.mail.key})
