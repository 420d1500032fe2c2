"""The root posture audit: every member account's root user, read through a root session scoped to
IAMAuditRootUserCredentials, a bounded number of accounts at a time; one account's failure is that account's only.

Throttling (IAM and STS answer `Throttling`) pauses that account with doubling backoff and tries again; an account
that stays throttled, or that AWS refuses, is reported with the reason and the audit goes on.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Awaitable, Callable

from core.ports import Clock, Store
from core.root_access.api import FeatureDisabled, Member, RootAccessApi, RootAccessError, Throttled
from core.root_access.book import RootBook, Summary
from core.root_access.model import AUDIT_POLICY, Credentials, Posture, SessionSpec, needs

logger = logging.getLogger(__name__)

AUDIT_SESSION = "rootmail-root-audit"  # every audit's role session: CloudTrail finds audits by it and their time


@dataclass(frozen=True)
class AuditPolicy:
    concurrency: int = 8  # accounts in flight at once, each with its own root session
    session_seconds: int = 60  # four read calls need far less; AssumeRoot allows up to 900
    retries: int = 5  # throttled answers tolerated per account
    backoff: timedelta = timedelta(seconds=1)  # first pause after a throttled answer; doubles each time
    max_backoff: timedelta = timedelta(seconds=20)


@dataclass
class Report:
    summary: Summary
    postures: list[Posture] = field(default_factory=list)

    @property
    def exposed(self) -> list[Posture]:
        return [p for p in self.postures if p.exposed]

    @property
    def failed(self) -> list[Posture]:
        return [p for p in self.postures if p.error]


News = Callable[[Report], Awaitable[None]]


class Auditor:
    def __init__(self, store: Store, clock: Clock, api: RootAccessApi, policy: AuditPolicy | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.store, self.clock, self.api, self.policy = store, clock, api, policy or AuditPolicy()
        self.book, self._sleep = RootBook(store), sleep

    async def run(self) -> Report:
        """Audit every active member account now; raises RootAccessError when the audit cannot start at all."""
        started = self.clock()
        try:
            features = await self.api.features()
            if missing := tuple(f for f in needs(None) if f not in features):
                raise FeatureDisabled(missing)
            organization = await self.api.organization()
        except RootAccessError as refused:
            await self.book.save_summary(Summary(started, (), "", 0, 0, 0, problem=str(refused)))
            raise
        members = [m for m in organization.members if m.state == "ACTIVE"]
        slots = asyncio.Semaphore(max(self.policy.concurrency, 1))
        session = SessionSpec(AUDIT_POLICY, self.policy.session_seconds, AUDIT_SESSION)
        postures = list(await asyncio.gather(*(self._account(m, session, slots) for m in members)))
        await self._forget_others({m.id for m in members})
        summary = Summary(started, tuple(sorted(features)), organization.management_account, len(postures),
                          sum(p.exposed for p in postures), sum(bool(p.error) for p in postures), digest(postures))
        await self.book.save_summary(summary)
        logger.info("root posture audited", extra={"accounts": summary.members, "exposed": summary.exposed,
                                                   "failed": summary.failed})
        return Report(summary, postures)

    async def scheduled(self, slot: int, on_news: News) -> Report | None:
        """A scheduled audit: one instance per time slot runs it, and `on_news` hears of it only when the posture
        differs from the one last reported (an organization that became clean is news too)."""
        if not await self.store.add_flag(f"root:slot:{slot}", self.clock().isoformat()):
            return None
        await self.store.delete_flag(f"root:slot:{slot - 1}")
        report = await self.run()
        if report.summary.digest != (await self.store.get_flag("root:reported") or ""):
            await on_news(report)
            await self.store.set_flag("root:reported", report.summary.digest)
        return report

    async def last(self) -> Report | None:
        """The last audit as recorded, without asking AWS."""
        summary = await self.book.summary()
        if summary is None:
            return None
        return Report(summary, sorted(await self.book.postures(), key=lambda p: p.account_id))

    async def _account(self, member: Member, session: SessionSpec, slots: asyncio.Semaphore) -> Posture:
        async with slots:
            posture = await self._read(member, session)
        await self.book.save_posture(posture)
        return posture

    async def _read(self, member: Member, session: SessionSpec) -> Posture:
        for attempt in range(self.policy.retries + 1):
            try:
                outcome = await self.api.audit(member.id, session)
                return Posture(member.id, member.name, self.clock(), outcome.credentials or Credentials())
            except Throttled as throttled:
                if attempt == self.policy.retries:
                    return Posture(member.id, member.name, self.clock(), error=f"throttled: {throttled}")
                await self._sleep(self._pause(attempt))
            except RootAccessError as refused:
                return Posture(member.id, member.name, self.clock(), error=str(refused))
            except Exception:  # one account's failure never stops the audit
                logger.exception("auditing an account failed", extra={"account_id": member.id})
                return Posture(member.id, member.name, self.clock(), error="RootMail could not read it (internal "
                               "error; the log has the details)")
        raise AssertionError("unreachable")

    def _pause(self, attempt: int) -> float:
        return min(self.policy.backoff.total_seconds() * 2 ** attempt, self.policy.max_backoff.total_seconds())

    async def _forget_others(self, members: set[str]) -> None:
        """Accounts that left the organization drop out of the posture."""
        for posture in await self.book.postures():
            if posture.account_id not in members:
                await self.store.delete_flag(f"root:posture:{posture.account_id}")


def digest(postures: list[Posture]) -> str:
    """Identifies the posture as a whole: which accounts hold which credentials and which could not be read."""
    parts = sorted(f"{p.account_id}:{'!' if p.error else ','.join(p.credentials.kinds())}" for p in postures)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
