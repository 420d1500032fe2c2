"""The Exchange side of the alias inventory: each mailbox's addresses read from Graph, imported into the pool, and
kept in memory to tell which RootMail mailbox an address belongs to."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from core.errors import MailSourceUnavailable, NotFound
from core.addresses.inventory import SyncReport, newly_missing, sync_aliases
from core.model import Mailbox, Strategy
from core.ports import Clock, Store
from core.addresses.rules import normalize_address
from mail.graph.api import GraphMail

logger = logging.getLogger(__name__)

MissingHook = Callable[[Mailbox, tuple[str, ...]], Awaitable[None]]


@dataclass
class Inventory:
    store: Store
    clock: Clock
    graph: GraphMail
    mailboxes: list[Mailbox]
    low_watermark: int = 20
    on_missing: MissingHook | None = None
    addresses: dict[str, frozenset[str]] = field(default_factory=dict)  # mailbox -> its addresses in Exchange
    problems: dict[str, str] = field(default_factory=dict)  # mailbox -> why the latest sync could not read it

    async def sync(self) -> list[SyncReport]:
        """Read every mailbox's addresses and bring the pool in line; a mailbox Graph cannot read is skipped
        (and logged), so one broken mailbox does not stop the others."""
        reports = []
        for mailbox in self.mailboxes:
            try:
                reports.append(await self.sync_one(mailbox))
                self.problems.pop(mailbox.address, None)
            except (MailSourceUnavailable, NotFound) as error:
                self.problems[mailbox.address] = str(error)
                logger.warning("could not read the mailbox's aliases from Exchange",
                               extra={"mailbox": mailbox.address, "error": str(error)})
        return reports

    async def sync_one(self, mailbox: Mailbox) -> SyncReport:
        found = await self.graph.addresses(mailbox.address)
        self.addresses[mailbox.address] = frozenset(found) | {mailbox.address}
        if mailbox.strategy is not Strategy.ALIAS:
            return SyncReport(mailbox.address, 0, 0, 0, (), self.clock())
        report = await sync_aliases(self.store, self.clock, mailbox, found, self.low_watermark)
        told = await newly_missing(self.store, report)
        if told:
            logger.warning("assigned aliases are gone from Exchange; they stay assigned",
                           extra={"mailbox": mailbox.address, "missing": len(told)})
            if self.on_missing:
                await self.on_missing(mailbox, told)
        return report

    def mailbox_of(self, address: str) -> str | None:
        """The RootMail mailbox an address reaches: one of its Exchange addresses, or a plus-address of one."""
        address = normalize_address(address)
        local, _, domain = address.rpartition("@")
        base = f"{local.split('+', 1)[0]}@{domain}"
        for mailbox in self.mailboxes:
            known = self.addresses.get(mailbox.address) or frozenset({mailbox.address})
            if address in known or base in known:
                return mailbox.address
        return None
