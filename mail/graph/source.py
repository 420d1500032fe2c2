"""The production mail source: Exchange Online through Microsoft Graph. Change notifications bring new mail in
seconds; delta queries (at start, after `missed`, on a schedule, or alone in polling mode) bring everything else."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable

from core.errors import MailSourceUnavailable
from core.model import InboundMail
from core.tasks import cancel_all
from mail.graph.api import INBOX, JUNK, GraphMail, MailboxUnresolved
from mail.graph.delta import DeltaRunner
from mail.graph.ingest import GraphIngest
from mail.graph.inventory import Inventory
from mail.graph.mailboxes import MailboxDirectory, Resolved
from mail.graph.mover import Mover
from mail.graph.subscriptions import SubscriptionKeeper

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
WORKERS = 8
RECENT = 4096  # notifications for the same message within this many are fetched once
FETCH_TOGETHER = 4  # the messages of one notification post fetched in one JSON batch


@dataclass(frozen=True)
class Schedule:
    notifications: bool  # False: graph-poll, delta only
    delta_every: timedelta
    sync_every: timedelta
    check_subscriptions_every: timedelta = timedelta(minutes=30)
    sweep_every: timedelta = timedelta(minutes=1)
    subscribe_after: float = 1.0  # seconds after start
    # Junk Email has no subscription: with notifications its delta runs this often (and with every Inbox delta)
    junk_every: timedelta = timedelta(minutes=1)
    resolve_after: float = 30.0  # seconds before an unresolved mailbox is looked up again; doubles up to 15 min
    # seconds a woken mover waits so the mails settled meanwhile share its round: each round reads every waiting
    # note, so a round per settled mail cost more CPU than the rest of the mail's store work together (py-spy)
    move_gather: float = 0.2


class GraphMailSource:
    def __init__(self, graph: GraphMail, directory: MailboxDirectory, inventory: Inventory, ingest: GraphIngest,
                 delta: DeltaRunner, mover: Mover, keeper: SubscriptionKeeper | None, schedule: Schedule,
                 tenant_id: str = ""):
        self.graph, self.directory, self.inventory = graph, directory, inventory
        self.ingest, self.delta = ingest, delta
        self.mover, self.keeper, self.tenant_id = mover, keeper, tenant_id
        self.schedule = schedule
        self.mailboxes = [m.address for m in inventory.mailboxes]
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._recent: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._delta_wanted: set[str] = set(self.mailboxes)
        self._delta_wake, self._move_wake = asyncio.Event(), asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.rejected = 0  # notifications refused for a wrong clientState or an unknown subscription

    # --- lifecycle --------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Find each mailbox's Entra user, read the aliases (routing needs them), then work in the background;
        Graph being down at start, or a mailbox it cannot find, is logged and retried, it does not stop RootMail."""
        await self.directory.resolve_all()
        with contextlib.suppress(MailSourceUnavailable):
            await self.inventory.sync()
        self._delta_wake.set()
        loops: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("graph-delta", self._delta_loop), ("graph-inventory", self._inventory_loop),
            ("graph-mover", self._mover_loop), ("graph-mailboxes", self._resolve_loop)]
        if self.keeper:
            loops += [("graph-subscriptions", self._subscription_loop), ("graph-junk", self._junk_loop)]
            loops += [(f"graph-worker-{i}", self._worker) for i in range(WORKERS)]
        self._tasks = [asyncio.create_task(loop(), name=name) for name, loop in loops]

    async def stop(self) -> None:
        """Subscriptions stay: they outlive a restart, and other instances use them."""
        await cancel_all(self._tasks)
        self._tasks = []

    async def ping(self) -> None:
        if self.directory.unresolved:
            raise MailboxUnresolved("mailboxes not found in Microsoft Entra ID: " +
                                    ", ".join(sorted(self.directory.unresolved)))
        if failing := self.graph.client.failing:
            raise MailSourceUnavailable("the latest Graph calls failed: " + "; ".join(sorted(failing.values())))

    # --- what the HTTP routes and the forwarder hand in ---------------------------------------------------
    async def accept_notifications(self, items: list[Any]) -> int:
        """Verify each item's clientState now (cheap); fetch and ingest later, in the background."""
        by_mailbox: dict[str, list[str]] = {}
        refused: list[str] = []
        for item in items:
            record = await self._verified(item, refused)
            message_id = str(((item.get("resourceData") or {}).get("id")) or "") if record else ""
            if message_id and item.get("changeType") == "created":
                by_mailbox.setdefault(record.mailbox, []).append(message_id)
        for mailbox, ids in by_mailbox.items():  # Graph folds notifications under load: fetch them together
            for start in range(0, len(ids), FETCH_TOGETHER):
                self._enqueue("messages", (mailbox, ids[start:start + FETCH_TOGETHER]))
        _report_refused(refused, len(items))
        return sum(len(ids) for ids in by_mailbox.values())

    async def accept_lifecycle(self, items: list[Any]) -> int:
        accepted, refused = 0, []
        for item in items:
            record = await self._verified(item, refused)
            if record is not None:
                accepted += 1
                self._enqueue(str(item.get("lifecycleEvent") or ""), record)
        _report_refused(refused, len(items))
        return accepted

    def settled(self, mail: InboundMail) -> None:
        """Forwarder hook: a mail reached its final state, so its message may be ready to move."""
        self.mover.settled(mail)
        self._move_wake.set()

    def request_delta(self, mailbox: str | None = None) -> None:
        self._delta_wanted.update([mailbox] if mailbox else self.mailboxes)
        self._delta_wake.set()

    async def sync_pool(self) -> dict[str, str]:
        """Look up unresolved mailboxes and read the aliases again now (the admin's `pool` command); what could
        not be read, by mailbox."""
        await self._resolve()
        await self.inventory.sync()
        return {**self.inventory.problems, **self.directory.problems}

    # --- background work ---------------------------------------------------------------------------------
    async def _verified(self, item: Any, refused: list[str]):
        if not isinstance(item, dict) or self.keeper is None:
            return None
        record = await self.keeper.verify(str(item.get("subscriptionId") or ""), str(item.get("clientState") or ""))
        if record and self.tenant_id and str(item.get("tenantId") or "").lower() != self.tenant_id.lower():
            record = None  # our subscription and clientState, but another tenant: never ours
        if record is None:
            self.rejected += 1
            refused.append(str(item.get("subscriptionId"))[:64])
        return record

    def _enqueue(self, kind: str, payload: Any) -> None:
        try:
            self._queue.put_nowait((kind, payload))
        except asyncio.QueueFull:  # nothing is lost: the mailbox's delta catches up
            mailbox = payload[0] if kind == "messages" else payload.mailbox
            logger.warning("notification queue full; catching up by delta", extra={"mailbox": mailbox})
            self.request_delta(mailbox)

    async def _worker(self) -> None:
        while True:
            kind, payload = await self._queue.get()
            try:
                await self._handle(kind, payload)
            except Exception:
                logger.exception("handling a graph notification failed", extra={"kind": kind})
            finally:
                self._queue.task_done()

    async def _handle(self, kind: str, payload: Any) -> None:
        if kind == "messages":
            await self._fetch(*payload)
        elif kind == "reauthorizationRequired":
            await self.keeper.reauthorize(payload)
        elif kind == "subscriptionRemoved":
            await self.keeper.ensure(payload.mailbox, recreate=True)
            self.request_delta(payload.mailbox)
        elif kind == "missed":
            self.request_delta(payload.mailbox)
        else:
            logger.info("graph lifecycle event ignored", extra={"event": kind[:40]})

    async def _fetch(self, mailbox: str, message_ids: list[str]) -> None:
        wanted = [m for m in dict.fromkeys(message_ids) if (mailbox, m) not in self._recent]
        if not wanted:  # Graph may deliver a notification more than once
            return
        try:
            found = await self.graph.messages(mailbox, wanted)
        except MailSourceUnavailable:
            self.request_delta(mailbox)  # the delta will find them
            raise
        # None: moved or deleted since; nothing to forward. The rest are recorded together, in one store call
        await self.ingest.handle_many(mailbox, [message for message in found.values() if message is not None])
        for message_id in found:
            self._recent[(mailbox, message_id)] = None
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)

    async def _delta_loop(self) -> None:
        every = self.schedule.delta_every.total_seconds()
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._delta_wake.wait(), every)
            self._delta_wake.clear()
            wanted, self._delta_wanted = (self._delta_wanted or set(self.mailboxes)), set()
            await asyncio.gather(*(self._run_delta(m) for m in sorted(wanted)))

    async def _run_delta(self, mailbox: str, folders: tuple[str, ...] = (INBOX, JUNK)) -> None:
        for folder in folders:
            try:
                await self.delta.run(mailbox, folder)
            except Exception as error:  # logged; the next scheduled run tries again
                logger.warning("delta run failed", extra={"mailbox": mailbox, "folder": folder, "error": str(error)})

    async def _junk_loop(self) -> None:
        while True:
            await asyncio.sleep(self.schedule.junk_every.total_seconds())
            await asyncio.gather(*(self._run_delta(m, (JUNK,)) for m in self.mailboxes))

    async def _resolve_loop(self) -> None:
        wait = self.schedule.resolve_after
        while self.directory.unresolved:
            await asyncio.sleep(wait)
            wait = min(wait * 2, 900.0)
            await self._resolve()

    async def _resolve(self) -> None:
        """Look up the unresolved mailboxes again; one that is found now is read at once."""
        found = [a.mailbox for a in await self.directory.resolve_all() if isinstance(a, Resolved)]
        if found:
            with contextlib.suppress(MailSourceUnavailable):
                await self.inventory.sync()
            for mailbox in found:
                self.request_delta(mailbox)

    async def _inventory_loop(self) -> None:
        await self._every(self.schedule.sync_every, self.inventory.sync, first=False)

    async def _subscription_loop(self) -> None:
        """The first try comes a moment after start (the validation handshake needs this app to be listening);
        failures are retried soon, with backoff, since notifications are off until it works."""
        retry = self.schedule.subscribe_after
        await asyncio.sleep(retry)
        while True:
            try:
                ok = await self.keeper.ensure_all()
            except Exception:
                logger.exception("keeping the subscriptions failed; will retry")
                ok = False
            retry = self.schedule.subscribe_after if ok else min(max(retry, 0.5) * 2, 300.0)
            await asyncio.sleep(self.schedule.check_subscriptions_every.total_seconds() if ok else retry)

    async def _mover_loop(self) -> None:
        every = self.schedule.sweep_every.total_seconds()
        while True:
            try:
                await self.mover.run_once()
            except Exception:
                logger.exception("moving forwarded messages failed; will retry")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._move_wake.wait(), every)
            await asyncio.sleep(self.schedule.move_gather)
            self._move_wake.clear()

    @staticmethod
    async def _every(period: timedelta, job: Callable[[], Awaitable[Any]], first: bool) -> None:
        while True:
            if first:
                try:
                    await job()
                except Exception:
                    logger.exception("scheduled graph job failed; will retry", extra={"job": job.__name__})
            first = True
            await asyncio.sleep(period.total_seconds())


def _report_refused(refused: list[str], items: int) -> None:
    """One line per post, however many forged items it carried (6,000 of them made 6,000 lines)."""
    if refused:
        logger.warning("graph notifications rejected: unknown subscription, wrong clientState or tenant",
                       extra={"rejected": len(refused), "items": items, "subscription_ids": sorted(set(refused))[:3]})
