"""The alias inventory: the pool follows what Exchange holds, and an assigned alias is never silently given away."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from core.model import Mailbox, Strategy
from core.ports import Clock, Store
from core.addresses.rules import address_problem, normalize_address

logger = logging.getLogger(__name__)

SYNC_FLAG = "pool-sync:"  # + mailbox: the latest sync report, so every instance can show it
REPORTED_FLAG = "pool-missing:"  # + mailbox: the missing aliases admins were last told about
LEFT_FLAG = "graph-left:"  # + mailbox + ":" + message id: mail left in the mailbox (unmapped or quarantined)
ROUTING_DOMAINS = (".onmicrosoft.com", ".mail.onmicrosoft.com")  # tenant routing addresses, not for AWS


@dataclass(frozen=True)
class SyncReport:
    mailbox: str
    in_exchange: int  # aliases Exchange holds for the mailbox that AWS would accept
    added: int  # new in Exchange: now free in the pool
    removed: int  # free aliases that left Exchange: taken out of the pool before anyone gets them
    missing: tuple[str, ...]  # assigned aliases Exchange no longer has: reported, never handed out again
    at: datetime

    def to_json(self) -> str:
        return json.dumps({"in_exchange": self.in_exchange, "added": self.added, "removed": self.removed,
                           "missing": list(self.missing), "at": self.at.isoformat()})

    @classmethod
    def from_json(cls, mailbox: str, text: str) -> "SyncReport":
        data = json.loads(text)
        return cls(mailbox, data["in_exchange"], data["added"], data["removed"], tuple(data["missing"]),
                   datetime.fromisoformat(data["at"]))


@dataclass(frozen=True)
class MailboxStatus:
    mailbox: Mailbox
    free: int
    assigned: int
    report: SyncReport | None  # None until Exchange was read (embedded default: the pool file only)
    left_in_mailbox: int  # mails RootMail could not route, left for an admin in the mailbox

    @property
    def capacity(self) -> int:
        return max(self.mailbox.alias_capacity, self.free + self.assigned)


def usable_aliases(mailbox: str, exchange_addresses: list[str]) -> list[str]:
    """The addresses Exchange holds for the mailbox that may be handed out: not the mailbox's own address, not a
    tenant routing address, and only what AWS accepts as a root e-mail address."""
    own = normalize_address(mailbox)
    found = (normalize_address(a) for a in exchange_addresses)
    return sorted({a for a in found if a != own and not a.endswith(ROUTING_DOMAINS) and not address_problem(a)})


async def sync_aliases(store: Store, clock: Clock, mailbox: Mailbox, exchange_addresses: list[str],
                       low_watermark: int) -> SyncReport:
    """Make the pool of an alias mailbox follow Exchange: new aliases become free, free ones that left Exchange
    are removed, assigned ones that left are reported and stay assigned."""
    in_exchange = set(usable_aliases(mailbox.address, exchange_addresses))
    pooled = await store.alias_states(mailbox.address)
    added = await store.add_aliases(mailbox.address, sorted(in_exchange - pooled.keys())) if in_exchange else 0
    gone = {a: state for a, state in pooled.items() if a not in in_exchange}
    removed = await store.remove_free_aliases(mailbox.address, sorted(a for a, s in gone.items() if s == "free"))
    after = await store.alias_states(mailbox.address) if removed or added else pooled
    missing = tuple(sorted(a for a in gone if after.get(a) == "claimed"))
    report = SyncReport(mailbox.address, len(in_exchange), added, removed, missing, clock())
    await store.set_flag(SYNC_FLAG + mailbox.address, report.to_json())
    if await store.free_alias_count(mailbox.address) >= low_watermark:
        await store.delete_flag(f"pool-low:{mailbox.address}")
    if added or removed or missing:
        logger.info("alias pool synced with Exchange", extra={"mailbox": mailbox.address, "added": added,
                                                              "removed": removed, "missing": len(missing)})
    return report


async def newly_missing(store: Store, report: SyncReport) -> tuple[str, ...]:
    """The missing aliases admins have not been told about yet (told once per change of the set)."""
    told = await store.get_flag(REPORTED_FLAG + report.mailbox)
    now = json.dumps(list(report.missing))
    if told == now:
        return ()
    if report.missing:
        await store.set_flag(REPORTED_FLAG + report.mailbox, now)
    else:
        await store.delete_flag(REPORTED_FLAG + report.mailbox)
    earlier = set(json.loads(told)) if told else set()
    return tuple(a for a in report.missing if a not in earlier)


async def pool_status(store: Store) -> list[MailboxStatus]:
    """Fill level of every mailbox, with what the latest Exchange sync found."""
    statuses = []
    for mailbox in await store.mailboxes():
        states = await store.alias_states(mailbox.address) if mailbox.strategy is Strategy.ALIAS else {}
        saved = await store.get_flag(SYNC_FLAG + mailbox.address)
        left = await store.flags_with_prefix(f"{LEFT_FLAG}{mailbox.address}:", 1000)
        free = sum(1 for s in states.values() if s == "free")
        statuses.append(MailboxStatus(mailbox, free, len(states) - free,
                                      SyncReport.from_json(mailbox.address, saved) if saved else None, len(left)))
    return statuses
