"""Catch-up by delta query, one mailbox Inbox at a time, under a lease: every page's messages are recorded before
the link that skips past them is stored, so mail that arrived while RootMail was down is forwarded once it is back."""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import MailSourceUnavailable, NotFound
from core.ports import Clock, Store
from mail.graph.api import GraphMail
from mail.graph.ingest import GraphIngest, Handled

logger = logging.getLogger(__name__)

LINK_FLAG = "graph-delta:"  # + mailbox -> {"link": nextLink or deltaLink, "covered": see _walk}
LEASE = "graph-delta:"  # + mailbox, a lease (leases and flags have separate names)
PARALLEL = 16
RESYNC_OVERLAP = timedelta(hours=1)  # a lost sync state restarts from before the last round; dedupe absorbs it


@dataclass(frozen=True)
class DeltaResult:
    mailbox: str
    pages: int
    messages: int
    new: int


@dataclass
class DeltaRunner:
    store: Store
    clock: Clock
    graph: GraphMail
    ingest: GraphIngest
    owner: str  # this instance, in leases
    first_sync: timedelta = timedelta(hours=24)
    lease: timedelta = timedelta(minutes=2)

    async def run(self, mailbox: str) -> DeltaResult | None:
        """Walk the mailbox's delta to its end; None when another instance is walking it right now."""
        now = self.clock()
        if not await self.store.acquire_lease(LEASE + mailbox, self.owner, now, now + self.lease):
            logger.debug("another instance runs this delta", extra={"mailbox": mailbox})
            return None
        try:
            return await self._walk(mailbox)
        finally:
            await self.store.release_lease(LEASE + mailbox, self.owner)

    async def _walk(self, mailbox: str) -> DeltaResult:
        saved = json.loads(await self.store.get_flag(LINK_FLAG + mailbox) or "null")
        started = self.clock()
        link = saved["link"] if saved else None
        # every message received before `covered` has been recorded (or, on the first run, is deliberately old)
        covered = datetime.fromisoformat(saved["covered"]) if saved else started - self.first_sync
        since = None if saved else covered
        pages = messages = new = 0
        resynced = False
        gate = asyncio.Semaphore(PARALLEL)  # a page's messages are recorded side by side; the store serializes
        while True:
            try:
                page = await self.graph.delta_page(mailbox, link, since)
            except MailSourceUnavailable as error:
                if error.status != 410 or resynced:
                    raise
                resynced, link, since = True, None, covered - RESYNC_OVERLAP if saved else covered
                logger.warning("delta sync state expired; starting over", extra={"mailbox": mailbox,
                                                                                 "since": covered.isoformat()})
                continue
            for handled in await asyncio.gather(*(self._one(mailbox, m, gate) for m in page.messages)):
                messages += handled is not None
                new += len(handled.new) if handled else 0
            pages += 1
            if page.delta_link or not page.next_link:
                if page.delta_link:
                    await self._save(mailbox, page.delta_link, started)
                break
            await self._save(mailbox, page.next_link, covered)
            link, since = page.next_link, None
            if not await self._keep_lease(mailbox):
                logger.warning("delta lease lost to another instance; stopping", extra={"mailbox": mailbox})
                break
        logger.info("delta run done", extra={"mailbox": mailbox, "pages": pages, "messages": messages, "new": new})
        return DeltaResult(mailbox, pages, messages, new)

    async def _one(self, mailbox: str, message: dict, gate: asyncio.Semaphore) -> Handled | None:
        async with gate:
            if "internetMessageHeaders" not in message and "@removed" not in message:
                message = await self._full(mailbox, message)  # the page left out the headers routing needs
            return await self.ingest.handle(mailbox, message) if message else None

    async def _full(self, mailbox: str, message: dict) -> dict | None:
        try:
            return await self.graph.message(mailbox, message["id"])
        except NotFound:
            return None  # gone since the page was read

    async def _save(self, mailbox: str, link: str, covered: datetime) -> None:
        await self.store.set_flag(LINK_FLAG + mailbox, json.dumps({"link": link, "covered": covered.isoformat()}))

    async def _keep_lease(self, mailbox: str) -> bool:
        now = self.clock()
        return await self.store.acquire_lease(LEASE + mailbox, self.owner, now, now + self.lease)
