"""Running adoptions: allocate an address, ask AWS for the code, take it out of RootMail's own mail, accept it, link.

A run is driven by the one instance holding its lease, a bounded number of accounts at a time (shared by all runs),
each step recorded (core.adoption.book) before the next, so a restart resumes where it stopped. The code mail never
reaches a channel: core.delivery.forwarding asks `divert` and keeps it aside as CONSUMED; the code is read, wiped and audited.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Callable, Protocol

from core.adoption import states as a
from core.adoption.book import AdoptBook, Running
from core.adoption.steps import Steps
from core.addresses.allocation import Allocator
from core.model import AuditEvent, InboundMail, Owner, Person
from core.ports import Clock, PostFailed, Store
from core.adoption.reconcile import OrgAccount

logger = logging.getLogger(__name__)

ACTOR = "rootmail-adopt"
LEASE = timedelta(seconds=60)


class Board(Protocol):
    """The progress card of a run; the card itself is built at the edge. Both raise PostFailed."""

    async def post(self, where: Owner, run: a.Run, items: list[a.Adoption]) -> str:
        """Post the card, return its activity id."""

    async def update(self, where: Owner, activity_id: str, run: a.Run, items: list[a.Adoption]) -> None: ...


@dataclass
class Adopter:
    store: Store
    clock: Clock
    api: a.AccountApi
    allocator: Allocator
    open_code: Callable[[InboundMail], str]  # the sealed code in clear; raises SecretUnreadable
    board: Board
    instance_id: str
    policy: a.Policy = field(default_factory=a.Policy)
    concurrency: int = 5
    _tasks: dict[str, asyncio.Task] = field(default_factory=dict, init=False)
    _slots: asyncio.Semaphore | None = field(default=None, init=False)
    _resumed: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def __post_init__(self) -> None:
        self.book = AdoptBook(self.store)
        self.steps = Steps(self.store, self.clock, self.api, self.allocator, self.open_code, self.book, self.policy)

    # --- the edges call these ---------------------------------------------------------------------------------------
    async def start(self, run_id: str, accounts: list[OrgAccount], owner: Owner, environment: str,
                    person: Person, where: Owner) -> a.Run | None:
        """Record the run and its accounts, post its progress card and drive it; None if `run_id` was started before."""
        now = self.clock()
        run = a.Run(run_id, owner.conversation_id, _owner_name(owner), environment,
                    person.aad_object_id or person.id, person.name[:80], where.conversation_id, now, len(accounts))
        if not await self.book.open_run(run):
            return None
        items = [a.Adoption(run_id, x.id, x.name[:50] or x.id, x.email, x.state, updated_at=now) for x in accounts]
        for item in items:
            await self.book.save(item)
        await self.store.append_audit(AuditEvent(now, run.by, "adopt-run", f"adopt:{run_id}", {
            "accounts": len(items), "owner": owner.conversation_id, "by": run.by_name, "environment": environment}))
        try:
            run = replace(run, activity_id=await self.board.post(where, run, items))
            await self.book.save_run(run)
        except PostFailed as failure:
            logger.warning("could not post the adoption progress card", extra={"run": run_id, "reason": failure.reason})
        self._spawn(run_id)
        return run

    async def resume(self) -> int:
        """Drive every unfinished run again (after a restart); returns how many."""
        try:
            runs = await self.book.unfinished_runs()
            for run in runs:
                self._spawn(run.id)
        finally:
            self._resumed.set()
        return len(runs)

    async def divert(self, mail: InboundMail) -> bool:
        """core.delivery.forwarding's question: is this the update code an adoption waits for? Then it is RootMail's."""
        if mail.kind != a.UPDATE_CODE_KIND or not await self.book.expecting(mail.address):
            return False
        self.steps.wake(mail.address)
        return True

    async def wait(self, run_id: str) -> None:
        """Until this instance finished driving the run (tests, shutdown). A run this instance did not start is
        waited for once the resume at start-up has picked up what the store holds."""
        if run_id not in self._tasks:
            await self._resumed.wait()
        task = self._tasks.get(run_id)
        if task is not None:
            await asyncio.shield(task)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- driving a run ----------------------------------------------------------------------------------------------
    def _spawn(self, run_id: str) -> None:
        if run_id in self._tasks and not self._tasks[run_id].done():
            return
        self._tasks[run_id] = asyncio.create_task(self._drive(run_id), name=f"adopt-{run_id}")

    async def _drive(self, run_id: str) -> None:
        lease = f"adopt-run:{run_id}"
        while not await self.store.acquire_lease(lease, self.instance_id, self.clock(), self.clock() + LEASE):
            await asyncio.sleep(LEASE.total_seconds() / 2)  # another instance drives it; take over if it stops
        try:
            running = await self._load(run_id)
            if running is not None:
                await self._hold(lease, self._run(running))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("adoption run stopped; it resumes on the next start", extra={"run": run_id})
        finally:
            with contextlib.suppress(Exception):
                await self.store.release_lease(lease, self.instance_id)

    async def _hold(self, lease: str, work) -> None:
        """Run `work` while renewing the lease; losing it stops the work (another instance took over)."""
        task = asyncio.ensure_future(work)
        try:
            while not task.done():
                await asyncio.wait([task], timeout=LEASE.total_seconds() / 3)
                now = self.clock()
                if not task.done() and not await self.store.acquire_lease(lease, self.instance_id, now, now + LEASE):
                    logger.warning("adoption run lease lost; stopping here", extra={"lease": lease})
                    task.cancel()
            await task
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _load(self, run_id: str) -> Running | None:
        run = await self.book.run(run_id)
        if run is None or run.finished_at is not None:
            return None
        owner = await self.store.get_conversation(run.owner) or Owner(run.owner, run.owner_name)
        now = self.clock()
        items = {i.account_id: a.resumed(i, now) for i in await self.book.items(run_id)}
        return Running(run, items, owner, Person(run.by, run.by_name, run.by))

    async def _run(self, running: Running) -> None:
        await self.steps.preflight(running)
        reporter = asyncio.create_task(self._report(running))
        try:
            await asyncio.gather(*(self._adopt(running, item) for item in list(running.items.values())
                                   if not item.final))
        finally:
            reporter.cancel()
            await asyncio.gather(reporter, return_exceptions=True)
        await self._finish(running)

    async def _adopt(self, running: Running, item: a.Adoption) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(max(self.concurrency, 1))
        async with self._slots:
            while not item.final:
                item = await self.steps.advance(running, item)
                running.items[item.account_id] = item
                running.dirty.set()
            await self.steps.settle(running, item)

    async def _report(self, running: Running) -> None:
        while True:
            await running.dirty.wait()
            running.dirty.clear()
            await self._show(running)
            await asyncio.sleep(self.policy.card_every.total_seconds())

    async def _show(self, running: Running) -> None:
        where = await self.store.get_conversation(running.run.where)
        if where is None:
            return
        items = list(running.items.values())
        try:
            if running.run.activity_id:
                await self.board.update(where, running.run.activity_id, running.run, items)
            else:
                running.run = replace(running.run, activity_id=await self.board.post(where, running.run, items))
                await self.book.save_run(running.run)
        except PostFailed as failure:
            logger.warning("could not update the adoption progress card", extra={
                "run": running.run.id, "reason": failure.reason})

    async def _finish(self, running: Running) -> None:
        now = self.clock()
        running.run = replace(running.run, finished_at=now, aborted=running.aborted)
        await self.book.save_run(running.run)
        counts = a.tally(running.items.values())
        await self.store.append_audit(AuditEvent(now, ACTOR, "adopt-run-finished", f"adopt:{running.run.id}", {
            "done": counts[a.Step.DONE], "failed": counts[a.Step.FAILED]}))
        logger.info("adoption run finished", extra={"run": running.run.id, "done": counts[a.Step.DONE],
                                                    "failed": counts[a.Step.FAILED]})
        await self._show(running)


def _owner_name(owner: Owner) -> str:
    return " / ".join(p for p in (owner.team_name, owner.name) if p)[:120] or owner.conversation_id
