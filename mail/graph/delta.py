"""Catch-up by delta query, one mailbox folder (Inbox, Junk Email) at a time, under a lease: every page's messages are
recorded before the link that skips past them is stored, so mail that arrived while RootMail was down is forwarded
once it is back.

Every round is filtered on receivedDateTime, and a filtered delta returns at most 5,000 messages (which ones, Graph
does not say: concepts/delta-query-messages.md). A round that reaches that many is followed by a plain list of the
folder's messages received since the round's start, which no cap cuts short, before its deltaLink is stored;
dedupe absorbs the overlap. An entry that lacks what routing needs (delta sends an updated message with only the
changed properties: concepts/delta-query-overview.md) is fetched in full."""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import MailSourceUnavailable, NotFound
from core.ports import Clock, Store
from mail.graph.api import INBOX, JUNK, DeltaPage, GraphMail
from mail.graph.ingest import GraphIngest, Handled

logger = logging.getLogger(__name__)

LINK_FLAG = "graph-delta:"  # + mailbox -> {"link": nextLink or deltaLink, "covered": see _walk, "count": entries}
JUNK_FLAG = "graph-junk-delta:"  # the same, for the Junk Email folder
LEASE = "graph-delta:"  # + mailbox (+ "/junkemail"), a lease (leases and flags have separate names)
PARALLEL = 16
RESYNC_OVERLAP = timedelta(hours=1)  # a lost sync state restarts from before the last round; dedupe absorbs it
FILTERED_CAP = 5000  # most messages one filtered delta round returns
# what routing, the card and dedupe read (mail.graph.message); an entry without one of them is fetched in full
ROUTING_FIELDS = ("internetMessageId", "toRecipients", "ccRecipients", "internetMessageHeaders", "from", "body",
                  "receivedDateTime")


@dataclass(frozen=True)
class DeltaResult:
    mailbox: str
    pages: int
    messages: int
    new: int
    swept: int = 0  # messages the list after a capped round brought in


@dataclass
class DeltaRunner:
    store: Store
    clock: Clock
    graph: GraphMail
    ingest: GraphIngest
    owner: str  # this instance, in leases
    first_sync: timedelta = timedelta(hours=24)
    lease: timedelta = timedelta(minutes=2)
    filtered_cap: int = FILTERED_CAP

    async def run(self, mailbox: str, folder: str = INBOX) -> DeltaResult | None:
        """Walk the folder's delta to its end; None when another instance is walking it right now."""
        now, lease = self.clock(), LEASE + mailbox + ("" if folder == INBOX else f"/{folder}")
        if not await self.store.acquire_lease(lease, self.owner, now, now + self.lease):
            logger.debug("another instance runs this delta", extra={"mailbox": mailbox, "folder": folder})
            return None
        try:
            return await self._walk(mailbox, folder, lease)
        finally:
            await self.store.release_lease(lease, self.owner)

    async def _walk(self, mailbox: str, folder: str, lease: str) -> DeltaResult:
        flag = (LINK_FLAG if folder == INBOX else JUNK_FLAG) + mailbox
        saved = json.loads(await self.store.get_flag(flag) or "null")
        started = self.clock()
        link = saved["link"] if saved else None
        # every message received before `covered` has been recorded (or, on the first run, is deliberately old)
        covered = datetime.fromisoformat(saved["covered"]) if saved else started - self.first_sync
        since = None if saved else covered
        window = covered - RESYNC_OVERLAP if saved else covered  # what this round covers (clocks differ a little)
        count = int(saved.get("count", 0)) if saved else 0  # entries of this round so far
        pages = messages = new = swept = 0
        seen: set[str] = set()  # ids this run handled: the list after a capped round skips them (at most the cap)
        resynced = False
        gate = asyncio.Semaphore(PARALLEL)  # a page's messages are recorded side by side; the store serializes
        while True:
            try:
                page = await self.graph.delta_page(mailbox, link, since, folder)
            except MailSourceUnavailable as error:
                if error.status != 410 or resynced:
                    raise
                resynced, link, count = True, None, 0
                since = window
                logger.warning("delta sync state expired; starting over", extra={"mailbox": mailbox,
                                                                                 "since": covered.isoformat()})
                continue
            handled = await self._ingest(mailbox, folder, page, gate)
            messages, new = messages + handled[0], new + handled[1]
            count += len(page.messages)
            if len(seen) < self.filtered_cap:
                seen.update(str(m.get("id")) for m in page.messages)
            pages += 1
            if page.delta_link or not page.next_link:
                if count >= self.filtered_cap:  # the round may have left mail out: list what it should have held
                    swept = await self._sweep(mailbox, folder, window, gate, seen, lease)
                if page.delta_link:
                    await self._save(flag, page.delta_link, started)
                break
            await self._save(flag, page.next_link, covered, count)
            link, since = page.next_link, None
            if not await self._keep_lease(lease):
                logger.warning("delta lease lost to another instance; stopping", extra={"mailbox": mailbox})
                break
        logger.info("delta run done", extra={"mailbox": mailbox, "folder": folder, "pages": pages,
                                             "messages": messages, "new": new, "swept": swept})
        return DeltaResult(mailbox, pages, messages, new, swept)

    async def _sweep(self, mailbox: str, folder: str, since: datetime, gate: asyncio.Semaphore, seen: set[str],
                     lease: str) -> int:
        """Every message of the folder received since `since` that this run has not handled yet; how many."""
        logger.warning("a filtered delta round reached Graph's 5,000-message cap; listing the folder to miss nothing",
                       extra={"mailbox": mailbox, "folder": folder, "since": since.isoformat()})
        link: str | None = None
        swept = 0
        while True:
            page = await self.graph.list_page(mailbox, folder, link, since)
            unseen = DeltaPage([m for m in page.messages if str(m.get("id")) not in seen], page.next_link)
            swept += (await self._ingest(mailbox, folder, unseen, gate))[0]
            if not page.next_link or not await self._keep_lease(lease):
                return swept
            link = page.next_link

    async def _ingest(self, mailbox: str, folder: str, page: DeltaPage, gate: asyncio.Semaphore) -> tuple[int, int]:
        """(messages handled, new records) of one page."""
        handled = await asyncio.gather(*(self._one(mailbox, folder, m, gate) for m in page.messages))
        return sum(h is not None for h in handled), sum(len(h.new) for h in handled if h)

    async def _one(self, mailbox: str, folder: str, message: dict, gate: asyncio.Semaphore) -> Handled | None:
        async with gate:
            if "@removed" not in message and any(f not in message for f in ROUTING_FIELDS):
                message = await self._full(mailbox, message)  # a partial entry: not enough to route it
            return await self.ingest.handle(mailbox, message, junk=folder == JUNK) if message else None

    async def _full(self, mailbox: str, message: dict) -> dict | None:
        try:
            return await self.graph.message(mailbox, message["id"])
        except NotFound:
            return None  # gone since the page was read

    async def _save(self, flag: str, link: str, covered: datetime, count: int = 0) -> None:
        await self.store.set_flag(flag, json.dumps({"link": link, "covered": covered.isoformat(), "count": count}))

    async def _keep_lease(self, lease: str) -> bool:
        now = self.clock()
        return await self.store.acquire_lease(lease, self.owner, now, now + self.lease)
