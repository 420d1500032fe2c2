"""Root tasks with approval: someone in the account's owning channel (or an admin) asks; an admin who is not the
requester approves (the two-person rule, on by default); RootMail then runs the task in its own root session.

Every step is in the audit of the account's address (or `aws-account:<id>` for an account RootMail has no address
for). The run itself, and the recovery grant it may open, are core.root_access.runner's.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Awaitable, Callable

from core.errors import Conflict, Forbidden, NotFound
from core.model import AuditEvent
from core.ports import Clock, Store
from core.root_access.api import RootAccessApi
from core.root_access.book import RootBook
from core.root_access.model import Actor, Task, TaskKind, TaskState
from core.root_access.requests import Draft
from core.root_access.runner import ACTOR, Runner, RunRules

logger = logging.getLogger(__name__)

Notify = Callable[[Task, str], Awaitable[None]]  # (task, event): requested | decided | finished | follow-up
QUICK = 8.0  # seconds an approval waits for its task to finish before answering "running"


@dataclass(frozen=True)
class TaskRules(RunRules):
    two_person: bool = True
    approval_wait: timedelta = timedelta(hours=24)


class TaskDesk:
    def __init__(self, store: Store, clock: Clock, api: RootAccessApi, rules: TaskRules | None = None,
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:12], instance_id: str = "rootmail",
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.store, self.clock, self.api, self.rules = store, clock, api, rules or TaskRules()
        self.book, self.new_id = RootBook(store), new_id
        self.notify: Notify | None = None
        self.runner = Runner(store, clock, api, self.rules, instance_id, sleep, self._tell)
        self._running: dict[str, asyncio.Task] = {}

    # --- asking -----------------------------------------------------------------------------------------------------
    async def request(self, wanted: Draft, requester: Actor, requested_in: str, may_ask_any: bool) -> Task:
        """Record a checked request. `may_ask_any`: an admin (or an automation holding the request role); anyone
        else asks only for accounts whose RootMail address their conversation owns. Refusals raise Forbidden (audited)
        or the RootAccessError that names AWS's reason; nothing is asked of AWS but what it knows of the account."""
        record = await self.store.get_by_account_id(wanted.account_id)
        subject = record.address if record else f"aws-account:{wanted.account_id}"
        if not may_ask_any and (record is None or record.owner.conversation_id != requested_in):
            await self._refused(requester, subject, "Only the channel that owns this AWS account's root address, or a "
                                "RootMail admin, may ask for root tasks on it.")
        if wanted.kind is TaskKind.ALLOW_RECOVERY and (record is None or record.state.value != "active"):
            await self._refused(requester, subject, "Password recovery needs the account's root e-mail to be an active "
                                "RootMail address: AWS mails the reset link there, and only RootMail can hand it over.")
        await self.runner.guard(wanted.account_id, wanted.kind)
        now = self.clock()
        task = Task(self.new_id(), wanted.account_id, "", wanted.kind, requester, requested_in, now,
                    now + self.rules.approval_wait, address=record.address if record else "",
                    owner=record.owner.conversation_id if record else "", target=wanted.target,
                    credentials=wanted.credentials, window_minutes=wanted.window_minutes,
                    remove_after=wanted.remove_after, reason=wanted.reason)
        task = replace(task, account_name=await self._account_name(task.account_id, record))
        await self.book.save(task)
        await self._audit(task, requester, "root-task-requested", {"reason": task.reason} if task.reason else {})
        await self._tell(task, "requested")
        return task

    # --- deciding ---------------------------------------------------------------------------------------------------
    async def approve(self, task_id: str, approver: Actor, is_admin: bool, wait: float = QUICK) -> Task:
        """Approve and run. Returns the task as it stands after at most `wait` seconds (the run goes on)."""
        task = await self._decidable(task_id, approver, is_admin, "approve")
        if self.rules.two_person and approver.same_as(task.requester):
            await self._refused(approver, _subject(task), "You asked for this task yourself. Another RootMail admin "
                                "must approve it (two-person rule).")
        task = await self._decide(task, approver, TaskState.APPROVED)
        await self.book.running(task.id, True)
        run = self._start(task)
        try:
            return await asyncio.wait_for(asyncio.shield(run), wait)
        except asyncio.TimeoutError:
            return await self.book.task(task.id) or task

    async def decline(self, task_id: str, person: Actor, is_admin: bool) -> Task:
        """An admin, or the requester (who changed their mind), declines."""
        task = await self._decidable(task_id, person, is_admin, "decline", requester_may=True)
        return await self._decide(task, person, TaskState.DECLINED)

    async def _decidable(self, task_id: str, person: Actor, is_admin: bool, verb: str,
                         requester_may: bool = False) -> Task:
        task = await self.book.task(task_id)
        if task is None:
            raise NotFound(f"RootMail has no root task {task_id[:40]!r}.")
        if task.state is not TaskState.REQUESTED:
            raise Conflict(f"This task was {task.state.value} already; nothing changed.")
        if self.clock() >= task.expires_at:
            task = replace(task, state=TaskState.EXPIRED, finished_at=self.clock())
            await self.book.save(task)
            await self._audit(task, Actor(ACTOR, "RootMail"), "root-task-expired", {})
            await self._tell(task, "decided")
            raise Conflict("Nobody approved this task in time; it expired. Ask again if it is still needed.")
        if not (is_admin or (requester_may and person.same_as(task.requester))):
            await self._refused(person, _subject(task), f"Only a RootMail admin may {verb} root tasks.")
        return task

    async def _decide(self, task: Task, person: Actor, state: TaskState) -> Task:
        if not await self.book.decide(task.id, f"{state.value}:{person.key}"):
            raise Conflict("Someone else decided this task a moment ago; nothing changed.")
        task = replace(task, state=state, approver=person, decided_at=self.clock(),
                       finished_at=self.clock() if state is TaskState.DECLINED else None)
        await self.book.save(task)
        await self._audit(task, person, f"root-task-{state.value}", {})
        await self._tell(task, "decided")
        return task

    # --- running ----------------------------------------------------------------------------------------------------
    def _start(self, task: Task) -> asyncio.Task:
        running = self._running.get(task.id)
        if running is None or running.done():
            running = self._running[task.id] = asyncio.create_task(self.runner.run(task), name=f"root-task-{task.id}")
        return running

    async def resume(self) -> None:
        """Run approved tasks a stopped instance left unfinished."""
        for task_id in await self.book.unfinished():
            task = await self.book.task(task_id)
            if task is not None and task.state is TaskState.APPROVED:
                self._start(task)
            else:
                await self.book.running(task_id, False)

    async def wait(self, task_id: str) -> Task | None:
        running = self._running.get(task_id)
        if running is not None:
            await asyncio.shield(running)
        return await self.book.task(task_id)

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- helpers ----------------------------------------------------------------------------------------------------
    async def _account_name(self, account_id: str, record) -> str:
        if record is not None:
            return record.account_name
        posture = await self.book.posture(account_id)
        return posture.account_name if posture else ""

    async def _refused(self, person: Actor, subject: str, reason: str) -> None:
        await self.store.append_audit(AuditEvent(self.clock(), person.key, "refused", subject, {
            "action": "root-task", "by": person.name[:80], "reason": reason[:300]}))
        raise Forbidden(reason)

    async def _audit(self, task: Task, person: Actor, action: str, detail: dict) -> None:
        await self.store.append_audit(AuditEvent(self.clock(), person.key, action, _subject(task), {
            "task": task.id, "kind": task.kind.value, "account_id": task.account_id, "by": person.name[:80],
            **detail}))

    async def _tell(self, task: Task, event: str) -> None:
        if self.notify is None:
            return
        try:
            await self.notify(task, event)
        except Exception:  # a card that cannot be posted must not undo a decision or a run
            logger.exception("could not show a root task's news", extra={"task": task.id, "event": event})


def _subject(task: Task) -> str:
    return task.address or f"aws-account:{task.account_id}"
