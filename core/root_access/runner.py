"""Running an approved root task: the guard rails again, one root session scoped to the task's own policy, the
task's calls, and the result on record. A recovery opens its grant; with `remove_after` the credentials are deleted
again, in a root session of its own, once the window closed.

Sessions never outlive their task: AssumeRoot is asked for `session_seconds` (at most 900), the credentials stay in
the edge's call and are dropped when it returns, and every task gets a session (and role session name) of its own.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Awaitable, Callable

from core.model import AuditEvent
from core.ports import Clock, Store
from core.root_access.api import (FeatureDisabled, ManagementAccount, NotMember, Outcome, RootAccessApi,
                                  RootAccessError, Throttled, Unavailable)
from core.root_access.book import Grant, RootBook
from core.root_access.model import (CREDENTIAL_KINDS, MAX_SESSION_SECONDS, TASK_POLICY, Session, SessionSpec, Task,
                                    TaskKind, TaskState, needs)

logger = logging.getLogger(__name__)

ACTOR = "rootmail-root-access"
LEASE = timedelta(minutes=15)  # longer than any root session


@dataclass(frozen=True)
class RunRules:
    session_seconds: int = 300
    retries: int = 4  # throttled answers tolerated per task before it fails as throttled
    backoff: timedelta = timedelta(seconds=1)


class Runner:
    def __init__(self, store: Store, clock: Clock, api: RootAccessApi, rules: RunRules, instance_id: str,
                 sleep: Callable[[float], Awaitable[None]], tell: Callable[[Task, str], Awaitable[None]]):
        self.store, self.clock, self.api, self.rules = store, clock, api, rules
        self.instance_id, self._sleep, self._tell = instance_id, sleep, tell
        self.book = RootBook(store)

    async def run(self, task: Task) -> Task:
        lease = f"root-task:{task.id}"
        now = self.clock()
        if not await self.store.acquire_lease(lease, self.instance_id, now, now + LEASE):
            return task  # another instance runs it
        try:
            return await self._run(task)
        finally:
            await self.store.release_lease(lease, self.instance_id)

    async def _run(self, task: Task) -> Task:
        spec = SessionSpec(task.policy, min(self.rules.session_seconds, MAX_SESSION_SECONDS), f"rootmail-task-{task.id}")
        asked = self.clock()
        try:
            await self.guard(task.account_id, task.kind)
            outcome = await self._patiently(lambda: self._call(task, spec))
        except RootAccessError as refused:
            session = Session(spec.policy, spec.seconds, spec.name, asked) if _opened(refused) else None
            task = replace(task, state=TaskState.FAILED, result=str(refused), session=session,
                           finished_at=self.clock())
            await self._finish(task, "root-task-failed", {"reason": str(refused)[:300], "refusal": refused.kind})
            return task
        task = replace(task, state=TaskState.DONE, result=outcome.done, finished_at=self.clock(),
                       session=Session(spec.policy, spec.seconds, spec.name, asked, outcome.expires_at))
        if task.kind is TaskKind.ALLOW_RECOVERY:
            task = await self._open_grant(task)
        await self._finish(task, "root-task-done", {"result": outcome.done[:300]})
        return task

    async def guard(self, account_id: str, kind: TaskKind | None) -> None:
        """The guard rails before any root session, at request and again at run (the organization may have changed
        meanwhile): the features the task needs, an active member account, not the management account. Raises the
        RootAccessError that names the reason."""
        features = await self.api.features()
        if missing := tuple(f for f in needs(kind) if f not in features):
            raise FeatureDisabled(missing)
        organization = await self.api.organization()
        if account_id == organization.management_account:
            raise ManagementAccount(account_id)
        member = organization.member(account_id)
        if member is None or member.state != "ACTIVE":
            raise NotMember(account_id)

    async def _call(self, task: Task, spec: SessionSpec) -> Outcome:
        if task.kind is TaskKind.DELETE_CREDENTIALS:
            return await self.api.delete_credentials(task.account_id, task.credentials, spec)
        if task.kind is TaskKind.ALLOW_RECOVERY:
            return await self.api.allow_recovery(task.account_id, spec)
        if task.kind is TaskKind.UNLOCK_BUCKET:
            return await self.api.unlock_bucket(task.account_id, task.target, spec)
        return await self.api.unlock_queue(task.account_id, task.target, spec)

    async def _patiently(self, call: Callable[[], Awaitable[Outcome]]) -> Outcome:
        """The call, again after a doubling pause while AWS throttles; the last refusal otherwise."""
        for attempt in range(self.rules.retries + 1):
            try:
                return await call()
            except Throttled:
                if attempt == self.rules.retries:
                    raise
                await self._sleep(self.rules.backoff.total_seconds() * 2 ** attempt)
        raise AssertionError("unreachable")

    async def _open_grant(self, task: Task) -> Task:
        opened = self.clock()
        until = opened + timedelta(minutes=task.window_minutes)
        task = replace(task, window_until=until, follow_up="pending" if task.remove_after else "")
        await self.book.open_grant(Grant(task.id, task.address, task.requester, opened, until))
        if task.remove_after:
            await self.book.plan_follow_up(task)
        return task

    async def _finish(self, task: Task, action: str, detail: dict) -> None:
        await self.book.save(task)
        await self.book.running(task.id, False)
        session = task.session
        if session is not None:
            detail |= {"policy": session.policy, "seconds": session.seconds, "session": session.name}
        await self.store.append_audit(AuditEvent(self.clock(), ACTOR, action, task.address or
                                                 f"aws-account:{task.account_id}", {
                                                     "task": task.id, "kind": task.kind.value,
                                                     "account_id": task.account_id, **detail}))
        logger.info("root task finished", extra={"task": task.id, "state": task.state.value})
        await self._tell(task, "finished")

    # --- after a recovery window ------------------------------------------------------------------------------------
    async def follow_ups(self) -> int:
        """Delete the root credentials of recoveries whose window closed and whose request said so. A throttled or
        unavailable AWS leaves it for the next round; any other refusal is final and on record."""
        done = 0
        for task_id in await self.book.follow_ups_due(self.clock()):
            task = await self.book.task(task_id)
            if task is None or task.follow_up != "pending":
                await self.book.follow_up_done(task_id)
                continue
            spec = SessionSpec(TASK_POLICY[TaskKind.DELETE_CREDENTIALS], min(self.rules.session_seconds,
                                                                            MAX_SESSION_SECONDS),
                               f"rootmail-task-{task.id}-cleanup")
            try:
                await self.guard(task.account_id, TaskKind.DELETE_CREDENTIALS)
                outcome = await self.api.delete_credentials(task.account_id, CREDENTIAL_KINDS, spec)
            except (Throttled, Unavailable) as busy:
                logger.warning("removing credentials after a recovery waits", extra={"task": task.id,
                                                                                    "reason": str(busy)[:200]})
                continue
            except RootAccessError as refused:
                task = replace(task, follow_up=f"failed: {refused}")
            else:
                task = replace(task, follow_up=f"done: {outcome.done}")
            await self.book.save(task)
            await self.book.follow_up_done(task.id)
            await self.store.append_audit(AuditEvent(self.clock(), ACTOR, "root-recovery-closed", task.address, {
                "task": task.id, "account_id": task.account_id, "policy": spec.policy, "session": spec.name,
                "result": task.follow_up[:300]}))
            await self._tell(task, "follow-up")
            done += 1
        return done


def _opened(refused: RootAccessError) -> bool:
    """Whether the failure came after AssumeRoot answered (the edge marks it)."""
    return bool(getattr(refused, "session_opened", False))
