"""Posting received mail to the owning conversation, exactly once per mail, retried until it goes through."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable

from core.errors import Conflict
from core.inspection import UNVERIFIED
from core.model import AuditEvent, InboundMail, MailState, Owner, RootAddress
from core.ports import Clock, PostFailed, Poster, Store

logger = logging.getLogger(__name__)

MailCard = Callable[[InboundMail, RootAddress | None], dict[str, Any]]


@dataclass
class Forwarder:
    store: Store
    poster: Poster
    clock: Clock
    render: MailCard
    instance_id: str
    admin_conversation: str | None = None
    quarantine: MailCard | None = None  # the admins' card for mail whose sender did not verify
    settled: Callable[[InboundMail], object] | None = None  # told each time a mail reaches its final state
    batch: int = 32
    lease: timedelta = timedelta(seconds=60)
    base_backoff: float = 2.0
    max_backoff: float = 3600.0
    concurrency: int = 8
    _next_retry: datetime | None = field(default=None, init=False)

    async def run_once(self) -> int:
        """Post every mail that is due now; return how many were handled."""
        now = self.clock()
        due = await self.store.claim_due_mails(now, self.instance_id, now + self.lease, self.batch)
        gate = asyncio.Semaphore(self.concurrency)

        async def one(mail: InboundMail) -> None:
            async with gate:
                await self._forward(mail)

        await asyncio.gather(*(one(m) for m in due))
        return len(due)

    async def run(self, wake: asyncio.Event, idle_seconds: float = 5.0) -> None:
        """Forward until cancelled; `wake` is set by sources when new mail arrives."""
        while True:
            try:
                handled = await self.run_once()
            except Exception:
                logger.exception("forwarding round failed; will retry")
                handled = 0
            if handled:
                continue
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), self._sleep_for(idle_seconds))
            except asyncio.TimeoutError:
                pass

    def _sleep_for(self, idle_seconds: float) -> float:
        """Idle until new mail wakes us, or until the earliest retry this instance scheduled."""
        if self._next_retry is None:
            return idle_seconds
        wait = (self._next_retry - self.clock()).total_seconds()
        self._next_retry = None
        return min(max(wait, 0.0), idle_seconds)

    async def _forward(self, mail: InboundMail) -> None:
        record = await self.store.get_address(mail.address)
        if mail.verdict == UNVERIFIED:
            await self._quarantine(mail, record)
            return
        target = record.owner if record else await self._admin()
        if target is None:
            await self._finish(mail, MailState.UNMAPPED, "")
            logger.info("mail for unknown address recorded as unmapped", extra={"mail_key": mail.key})
            return
        try:
            activity_id = await self.poster.post(target, self.render(mail, record), summary=mail.subject)
        except PostFailed as failure:
            await self._failed(mail, failure)
            return
        await self._finish(mail, MailState.FORWARDED if record else MailState.UNMAPPED, activity_id,
                           target.conversation_id)

    async def _quarantine(self, mail: InboundMail, record: RootAddress | None) -> None:
        """Unverified mail never reaches a channel: admins see it, marked, or it is only recorded."""
        admin = await self._admin()
        activity_id = ""
        if admin is not None:
            render = self.quarantine or self.render
            try:
                activity_id = await self.poster.post(admin, render(mail, record), summary=f"Quarantined: {mail.subject}")
            except PostFailed as failure:
                await self._failed(mail, failure)
                return
        await self._finish(mail, MailState.QUARANTINED, activity_id, admin.conversation_id if admin else "")
        logger.warning("unverified mail quarantined", extra={"mail_key": mail.key, "shown_to_admins": bool(admin)})
        await self.store.append_audit(AuditEvent(self.clock(), "rootmail", "quarantine", mail.address, {
            "mail": mail.key, "sender": mail.sender[:200], "reason": mail.verdict_reason[:300]}))

    async def _admin(self) -> Owner | None:
        if not self.admin_conversation:
            return None
        return await self.store.get_conversation(self.admin_conversation)

    async def _finish(self, mail: InboundMail, state: MailState, activity_id: str, posted_to: str = "") -> None:
        done = replace(mail, state=state, activity_id=activity_id, attempts=mail.attempts + 1, posted_to=posted_to,
                       next_attempt_at=None, lease_owner="", lease_until=None, last_error="")
        try:
            await self.store.update_mail(done)
            if self.settled:  # e.g. the Graph source then marks the message read and moves it
                self.settled(done)
        except Conflict:
            logger.error("mail changed while posting; lease lost", extra={"mail_key": mail.key})

    async def _failed(self, mail: InboundMail, failure: PostFailed) -> None:
        attempts = mail.attempts + 1
        delay = min(self.base_backoff * 2 ** (attempts - 1), self.max_backoff)
        if failure.retry_after is not None:
            delay = max(delay, failure.retry_after)
        logger.warning("posting mail failed; will retry",
                       extra={"mail_key": mail.key, "attempts": attempts, "retry_in_s": delay, "reason": failure.reason})
        retry_at = self.clock() + timedelta(seconds=delay)
        self._next_retry = min(self._next_retry or retry_at, retry_at)
        failed = replace(mail, state=MailState.FAILED, attempts=attempts, last_error=failure.reason[:500],
                         next_attempt_at=retry_at, lease_owner="", lease_until=None)
        try:
            await self.store.update_mail(failed)
        except Conflict:
            logger.error("mail changed while posting; lease lost", extra={"mail_key": mail.key})
