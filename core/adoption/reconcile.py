"""Reconciling RootMail with AWS Organizations: link account ids by root e-mail, and report what disagrees."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Awaitable, Callable, Protocol

from core.addresses import registry
from core.errors import AccountIdTaken, AlreadyLinked, Conflict, InvalidRequest, NotFound, RootMailError
from core.model import AddressState, RootAddress
from core.ports import Clock, Store
from core.addresses.rules import normalize_address

logger = logging.getLogger(__name__)

ACTOR = "aws-organizations-sync"
LIVE_STATES = ("ACTIVE",)
PAGE = 200


@dataclass(frozen=True)
class OrgAccount:
    """One account of the organization, as AWS Organizations lists it."""

    id: str
    email: str
    name: str
    state: str  # ACTIVE | SUSPENDED | PENDING_CLOSURE | CLOSED


class AccountSource(Protocol):
    async def accounts(self) -> list[OrgAccount]:
        """Every account of the organization (all pages). Raise SyncFailed when AWS cannot be asked."""


class SyncFailed(RootMailError):
    """Listing the organization's accounts failed; the message says why and what to check."""


@dataclass
class Drift:
    at: datetime
    accounts: int  # accounts in the organization
    addresses: int  # RootMail addresses checked
    linked: list[tuple[str, str]] = field(default_factory=list)  # (address, account id) linked by this sync
    unknown: list[OrgAccount] = field(default_factory=list)  # root e-mail RootMail does not know
    retired_in_use: list[tuple[OrgAccount, RootAddress]] = field(default_factory=list)
    gone: list[tuple[RootAddress, str]] = field(default_factory=list)  # (address, "closed" | "suspended" | "missing")
    # RootMail and AWS pair them differently: the e-mail is linked to another account id, or the linked account
    # now uses another root e-mail
    mismatched: list[tuple[OrgAccount, RootAddress]] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return not (self.unknown or self.retired_in_use or self.gone or self.mismatched)

    def digest(self) -> str:
        """Identifies the set of problems, so an unchanged drift is not reported again and again."""
        parts = sorted([f"u:{a.id}" for a in self.unknown] + [f"r:{a.id}" for a, _ in self.retired_in_use]
                       + [f"g:{r.address}:{why}" for r, why in self.gone]
                       + [f"m:{a.id}:{r.address}" for a, r in self.mismatched])
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


async def reconcile(store: Store, clock: Clock, accounts: list[OrgAccount]) -> Drift:
    drift = Drift(at=clock(), accounts=len(accounts), addresses=0)
    by_id = {a.id: a for a in accounts}
    for account in accounts:
        record = await store.get_address(normalize_address(account.email))
        if record is None:
            drift.unknown.append(account)
        elif record.account_id not in (None, account.id):
            drift.mismatched.append((account, record))
        elif record.state is AddressState.RETIRED:
            drift.retired_in_use.append((account, record))
        elif record.account_id is None and await _link(store, clock, record, account):
            drift.linked.append((record.address, account.id))
    await _check_addresses(store, by_id, drift)
    return drift


async def _link(store: Store, clock: Clock, record: RootAddress, account: OrgAccount) -> bool:
    try:
        await registry.amend(store, clock, record.address, registry.Amendment(account_id=account.id), ACTOR)
    except (AccountIdTaken, AlreadyLinked, Conflict, InvalidRequest, NotFound) as error:
        logger.warning("could not link an account by its root e-mail",
                       extra={"address": record.address, "account_id": account.id, "reason": str(error)})
        return False
    return True


async def _check_addresses(store: Store, by_id: dict[str, OrgAccount], drift: Drift) -> None:
    count, token = 0, None
    while True:
        page = await store.list_addresses(PAGE, token)
        for record in page.items:
            count += 1
            if not record.account_id or record.state is AddressState.RETIRED:
                continue
            account = by_id.get(record.account_id)
            if account is None:
                drift.gone.append((record, "missing"))
            elif account.state not in LIVE_STATES:
                drift.gone.append((record, account.state.lower()))
            elif normalize_address(account.email) != record.address:
                drift.mismatched.append((account, record))
        if page.continuation is None:
            break
        token = page.continuation
    drift.addresses = count


DriftHook = Callable[[Drift], Awaitable[None]]


@dataclass
class OrgSync:
    """One sync run: ask AWS, reconcile, remember what was reported. The schedule and `sync` both call `run`."""

    store: Store
    clock: Clock
    source: AccountSource

    async def run(self) -> Drift:
        accounts = await self.source.accounts()
        drift = await reconcile(self.store, self.clock, accounts)
        logger.info("synced with AWS Organizations", extra={
            "accounts": drift.accounts, "addresses": drift.addresses, "linked": len(drift.linked),
            "unknown": len(drift.unknown), "gone": len(drift.gone), "retired_in_use": len(drift.retired_in_use),
            "mismatched": len(drift.mismatched)})
        return drift

    async def scheduled(self, slot: int, on_news: DriftHook) -> Drift | None:
        """A scheduled run: one instance per time slot runs it (a flag decides), and `on_news` hears of a drift
        only when it differs from the last one reported (a drift that clears is news too)."""
        if not await self.store.add_flag(f"org-sync:slot:{slot}", self.clock().isoformat()):
            return None
        await self.store.delete_flag(f"org-sync:slot:{slot - 1}")
        drift = await self.run()
        digest = "" if drift.in_sync else drift.digest()
        if digest != (await self.store.get_flag("org-sync:reported") or ""):
            await on_news(drift)
            await self.store.set_flag("org-sync:reported", digest)
        return drift
