"""One post of a lane, recorded: intent first, then the post, then every mail it carried, exactly once.

Before a post each mail it carries is marked (`posting_since`, lease extended) by an etag-checked write: a mail whose
lease went to another instance fails that write and is not posted here. After the post every carried mail records
the activity id and its final state. A digest's marks, and then its outcomes, go to the store in one call each
(`Store.update_mails`: two trips for the digest instead of two per mail); a mail that call did not write is written
alone, the way a single mail is. A crash between post and record leaves the mark: the mail is posted again,
flagged as a possible repeat, because the Bot Connector cannot be asked whether the first post arrived.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Protocol

from core import metrics as m
from core.errors import Conflict, NotFound, StoreUnavailable
from core.intake.aws_mail_rules import CRITICAL
from core.intake.leak_guard import LeakGuard
from core.delivery.lanes import Delivery, Sent
from core.metrics import Metrics, NoMetrics
from core.model import AuditEvent, InboundMail, MailState
from core.ports import Clock, PostFailed, Poster, Store
from core.trace import correlated, correlation_id

logger = logging.getLogger(__name__)

Card = dict[str, Any]
DIGEST_FLAG = "digest:"  # + activity id: the keys of the mails a digest post carried
PENDING = (MailState.RECEIVED, MailState.FAILED)
RECORD_ATTEMPTS = 6  # about 6 s of a store that does not answer, before a posted mail is left to be posted again


class DeliveryCards(Protocol):
    def single(self, delivery: Delivery) -> Card: ...

    def digest(self, deliveries: list[Delivery]) -> tuple[Card, int]:
        """The digest card and how many deliveries (from the first) it carries."""


@dataclass
class Courier:
    store: Store
    poster: Poster
    clock: Clock
    cards: DeliveryCards
    owner: str  # lease owner: this instance
    lease: timedelta = timedelta(seconds=60)  # longer than the poster's timeout, so a mark outlives its post
    base_backoff: float = 2.0
    max_backoff: float = 3600.0
    settled: Callable[[InboundMail], object] | None = None
    metrics: Metrics = NoMetrics()
    next_retry: Any = None  # the earliest retry this courier scheduled (a datetime), for the forwarder's sleep
    guard: LeakGuard = LeakGuard(None)  # the last check that no card carries a sealed secret (core.intake.leak_guard)

    async def send(self, batch: list[Delivery]) -> Sent:
        """Post `batch` (one mail, or a digest's worth) to its conversation; say what went back and any pause."""
        correlation_id.set(batch[0].mail.key if len(batch) == 1 else f"digest:{batch[0].mail.key}")  # this task only
        card, carried = self._card(batch)
        leftover = batch[len(carried):]
        marked = [d for d in await self._mark_all(carried) if d is not None]
        if not marked:
            return Sent(leftover)
        if len(marked) != len(carried):
            card, carried = self._card(marked)
            leftover += marked[len(carried):]
            marked = carried
        target = marked[0].target
        card = self.guard.clean(card, [d.mail for d in marked])
        summary = marked[0].mail.subject if len(marked) == 1 else f"{len(marked)} AWS root mails"
        urgent = any(d.mail.severity == CRITICAL and d.final is MailState.FORWARDED for d in marked)
        started = time.perf_counter()
        try:
            activity_id = await self.poster.post(target, card, summary=summary[:120], urgent=urgent)
        except PostFailed as failure:
            self.metrics.count(m.FAILED, len(marked))
            await asyncio.gather(*(self._failed(d, failure) for d in marked))
            return Sent(leftover, failure.retry_after, throttled=failure.throttled)
        self.metrics.observe(m.SEND_SECONDS, time.perf_counter() - started)
        self.metrics.count(m.POSTS)
        if any(d.in_doubt for d in marked):
            self.metrics.count(m.REPEATS)
        digest = activity_id if len(marked) > 1 else ""
        if digest:
            self.metrics.count(m.DIGESTS)
            await self.store.set_flag(DIGEST_FLAG + digest, ",".join(d.mail.key for d in marked))
        await self._finish_all(marked, activity_id, digest)
        return Sent(leftover, posted=True)

    def _card(self, batch: list[Delivery]) -> tuple[Card, list[Delivery]]:
        if len(batch) == 1:
            return self.cards.single(batch[0]), batch
        card, carried = self.cards.digest(batch)
        return card, batch[:max(carried, 1)]

    async def _batch(self, wanted: list[InboundMail]) -> list[InboundMail | None]:
        """A digest's writes in one store call; None for each mail that must go through the single-mail path (its
        etag moved on, it is gone, or the store was briefly away and any of them may have been written)."""
        try:
            outcomes = await self.store.update_mails(wanted)
        except StoreUnavailable:
            return [None] * len(wanted)
        return [outcome if isinstance(outcome, InboundMail) else None for outcome in outcomes]

    async def _mark_all(self, carried: list[Delivery]) -> list[Delivery | None]:
        if len(carried) == 1:
            return [await self._mark(carried[0])]
        now = self.clock()
        written = await self._batch([self._marked(d.mail, now) for d in carried])
        return list(await asyncio.gather(*(self._mark(d, mail) for d, mail in zip(carried, written))))

    def _marked(self, mail: InboundMail, now: datetime) -> InboundMail:
        return replace(mail, posting_since=mail.posting_since or now, lease_owner=self.owner,
                       lease_until=now + self.lease)

    async def _mark(self, delivery: Delivery, written: InboundMail | None = None) -> Delivery | None:
        """Record the intent to post and extend the lease (unless `written` is the mail so marked, as stored); None if
        the mail is no longer ours to post."""
        if written is not None:
            delivery.mail = written
            return delivery
        now = self.clock()
        mail = delivery.mail
        for _ in range(2):
            try:
                delivery.mail = await self.store.update_mail(self._marked(mail, now))
                return delivery
            except (NotFound, StoreUnavailable):  # unavailable: not posted now; back once its lease ends
                return None
            except Conflict:  # ours still (a renewal changed the etag), or taken over by another instance?
                mail = await self.store.get_mail(mail.key)
                if mail is None or mail.state not in PENDING or mail.lease_owner != self.owner or (
                        mail.lease_until is None or mail.lease_until <= now):
                    logger.warning("mail taken over before it was posted; not posting it here",
                                   extra={"mail_key": delivery.mail.key})
                    return None
        return None

    async def _finish_all(self, marked: list[Delivery], activity_id: str, digest: str) -> None:
        """Every carried mail's outcome: a digest's in one store call, then one by one any that call did not write."""
        written = [None] * len(marked)
        if len(marked) > 1:
            written = await self._batch([self._done(d, activity_id, digest) for d in marked])
        await asyncio.gather(*(self._finish(d, activity_id, digest, mail) for d, mail in zip(marked, written)))

    @staticmethod
    def _done(delivery: Delivery, activity_id: str, digest: str) -> InboundMail:
        mail = delivery.mail
        return replace(mail, state=delivery.final, activity_id=activity_id, attempts=mail.attempts + 1,
                       posted_to=delivery.target.conversation_id if activity_id else "", next_attempt_at=None,
                       lease_owner="", lease_until=None, last_error="", posting_since=None, digest=digest)

    async def _finish(self, delivery: Delivery, activity_id: str, digest: str,
                      written: InboundMail | None = None) -> None:
        """Record the outcome (unless `written` already holds it as stored), then count and settle the mail."""
        mail = delivery.mail
        with correlated(mail.key):
            if written is not None:
                delivery.mail = written
            elif not await self._record(delivery, self._done(delivery, activity_id, digest)):
                return
            self.metrics.count({MailState.QUARANTINED: m.QUARANTINED, MailState.UNMAPPED: m.UNMAPPED,
                                MailState.CONSUMED: m.CONSUMED}.get(delivery.final, m.FORWARDED))
            if delivery.final is MailState.QUARANTINED:
                await self.store.append_audit(AuditEvent(self.clock(), "rootmail", "quarantine", mail.address, {
                    "mail": mail.key, "sender": mail.sender[:200], "reason": mail.verdict_reason[:300]}))
                logger.warning("unverified mail quarantined", extra={"mail_key": mail.key})
            if self.settled:  # e.g. the Graph source then marks the message read and moves it
                self.settled(delivery.mail)

    async def _record(self, delivery: Delivery, done: InboundMail) -> bool:
        """Write the outcome of a post. The post happened: a store that is briefly away is retried, since giving up
        here means posting the mail again later. A write that went through although it seemed to fail shows up as
        a conflict with the outcome already stored."""
        for attempt in range(RECORD_ATTEMPTS):
            try:
                delivery.mail = await self.store.update_mail(done)
                return True
            except StoreUnavailable:
                if attempt == RECORD_ATTEMPTS - 1:
                    raise
                logger.warning("recording a post failed; retrying", extra={"mail_key": done.key, "attempt": attempt})
                await asyncio.sleep(0.2 * 2 ** attempt)
            except (Conflict, NotFound):
                stored = await self.store.get_mail(done.key)
                if stored and stored.state is done.state and stored.activity_id == done.activity_id:
                    delivery.mail = stored
                    return True
                if stored and stored.state in PENDING and stored.lease_owner == self.owner:
                    done = replace(done, etag=stored.etag)  # still ours; only its etag moved on
                    continue
                logger.error("mail changed while posting; lease lost", extra={"mail_key": done.key})
                return False
        return False

    async def finish_unposted(self, delivery: Delivery) -> None:
        """A mail with nowhere to go (unknown address, no admin conversation): recorded, not posted."""
        await self._finish(delivery, "", "")

    async def _failed(self, delivery: Delivery, failure: PostFailed) -> None:
        mail = delivery.mail
        attempts = mail.attempts + 1
        delay = min(self.base_backoff * 2 ** (attempts - 1), self.max_backoff)
        if failure.retry_after is not None:
            delay = max(delay, failure.retry_after)
        retry_at = self.clock() + timedelta(seconds=delay)
        self.next_retry = min(self.next_retry or retry_at, retry_at)
        with correlated(mail.key):
            logger.warning("posting mail failed; will retry", extra={
                "mail_key": mail.key, "attempts": attempts, "retry_in_s": delay, "reason": failure.reason})
            failed = replace(mail, state=MailState.FAILED, attempts=attempts, last_error=failure.reason[:500],
                             next_attempt_at=retry_at, lease_owner="", lease_until=None,
                             posting_since=mail.posting_since if failure.uncertain else delivery.doubt)
            try:
                delivery.mail = await self.store.update_mail(failed)
            except (Conflict, NotFound):
                logger.error("mail changed while posting; lease lost", extra={"mail_key": mail.key})

    async def renew(self, delivery: Delivery) -> bool:
        """Extend the lease of a mail still waiting in a lane; False if it is no longer ours."""
        now, original = self.clock(), delivery.mail
        try:
            renewed = await self.store.update_mail(replace(original, lease_until=now + self.lease))
            if delivery.mail is original:  # not taken for posting meanwhile: a later write must not be undone
                delivery.mail = renewed
            return True
        except (Conflict, NotFound):
            return False
        except StoreUnavailable:  # keep it; the next round tries again while the lease still holds
            return True


async def digest_members(store: Store, digest: str) -> list[tuple[InboundMail, Any, bool]]:
    """The mails a digest post carried, in its order, with their address records and whether each was quarantined
    (so the digest can be shown again, e.g. after a Reveal pressed on it)."""
    keys = [k for k in (await store.get_flag(DIGEST_FLAG + digest) or "").split(",") if k]
    mails = [mail for mail in await asyncio.gather(*(store.get_mail(k) for k in keys)) if mail is not None]
    records = await asyncio.gather(*(store.get_address(mail.address) for mail in mails))
    return [(mail, record, mail.state is MailState.QUARANTINED) for mail, record in zip(mails, records)]
