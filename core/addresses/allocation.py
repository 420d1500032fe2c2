"""Allocating a fresh, unique-forever root address from the mailbox pool."""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from core.errors import AccountIdTaken, AddressTaken, DuplicateRequest, InvalidRequest, PoolExhausted
from core.model import AddressState, AuditEvent, Mailbox, Owner, Person, RootAddress, Strategy
from core.ports import Clock, Store
from core.addresses.rules import NewAddressRequest, is_valid_address, plus_address

logger = logging.getLogger(__name__)

PLUS_ATTEMPTS = 8
POOL_VIEW_SECONDS = 30.0  # how long the mailbox list and free counts are trusted for ordering

LowPoolHook = Callable[[Mailbox, int], Awaitable[None]]


def request_key(namespace: str, scope: str, given: str) -> str:
    """The request id stored for uniqueness: a form's id within its conversation (`form`), an Idempotency-Key within
    its caller (`api`). The namespace prefix keeps either from naming the other's, and the scope keeps one
    conversation or caller from naming another's: a replayed id from elsewhere is simply a new request."""
    return f"{namespace}:" + hashlib.sha256(f"{scope}\n{given}".encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Allocation:
    record: RootAddress
    created: bool  # False when the same request was already served (double submit)


@dataclass
class Allocator:
    """Every allocation is decided by the store's uniqueness rules (address, request id, account id), so
    nothing is read first to ask what a write would answer anyway: on Cosmos DB that keeps an allocation to a
    few requests. The pool view (mailboxes, free aliases) is cached briefly and only orders the mailboxes."""

    store: Store
    clock: Clock
    suffix: Callable[[], str]
    low_watermark: int = 20
    on_low_pool: LowPoolHook | None = None
    _mailboxes: list[Mailbox] = field(default_factory=list, init=False)
    _free: dict[str, int] = field(default_factory=dict, init=False)
    _viewed_at: float = field(default=float("-inf"), init=False)

    async def allocate(self, request: NewAddressRequest, owner: Owner, requester: Person) -> Allocation:
        try:
            record = await self._create(request, owner, requester)
        except DuplicateRequest as duplicate:
            return Allocation(await self.store.get_address(duplicate.address), created=False)
        except AccountIdTaken as taken:
            raise InvalidRequest({"account_id": f"Already linked to {taken.address}."}) from None
        logger.info("allocated address", extra={"address": record.address, "mailbox": record.mailbox})
        return Allocation(record, created=True)

    async def _create(self, request: NewAddressRequest, owner: Owner, requester: Person) -> RootAddress:
        await self._refresh_view()
        for mailbox in self._alias_mailboxes():
            record = await self._from_alias(mailbox, request, owner, requester)
            if record:
                return record
        for mailbox in (m for m in self._mailboxes if m.strategy is Strategy.PLUS and m.state == "active"):
            return await self._from_plus(mailbox, request, owner, requester)
        raise PoolExhausted("Every mailbox in the pool is full. An admin needs to add aliases or a mailbox.")

    async def _refresh_view(self) -> None:
        if time.monotonic() - self._viewed_at < POOL_VIEW_SECONDS:
            return
        self._mailboxes = await self.store.mailboxes()
        self._free = {m.address: await self.store.free_alias_count(m.address)
                      for m in self._mailboxes if m.strategy is Strategy.ALIAS}
        self._viewed_at = time.monotonic()

    def forget_view(self) -> None:
        """Re-read the pool on the next allocation (after the pool changed)."""
        self._viewed_at = float("-inf")

    def _alias_mailboxes(self) -> list[Mailbox]:
        alias = [m for m in self._mailboxes if m.strategy is Strategy.ALIAS and m.state == "active"]
        return sorted((m for m in alias if self._free.get(m.address, 0) > 0), key=lambda m: -self._free[m.address])

    async def _from_alias(self, mailbox, request, owner, requester) -> RootAddress | None:
        while alias := await self.store.claim_alias(mailbox.address):
            try:
                record = await self._store_new(self._record(alias, mailbox, request, owner, requester))
            except AddressTaken:
                logger.warning("alias already used by an address record; skipping", extra={"address": alias})
                continue
            except BaseException:
                await self.store.release_alias(alias)
                raise
            self._free[mailbox.address] = max(self._free.get(mailbox.address, 1) - 1, 0)
            await self._check_pool(mailbox)
            return record
        self._free[mailbox.address] = 0
        return None

    async def _from_plus(self, mailbox, request, owner, requester) -> RootAddress:
        for _ in range(PLUS_ATTEMPTS):
            address = plus_address(mailbox.address, request.account_name, self.suffix())
            if not is_valid_address(address):
                raise PoolExhausted(f"Mailbox {mailbox.address} is too long to make plus-addresses AWS accepts.")
            try:
                return await self._store_new(self._record(address, mailbox, request, owner, requester))
            except AddressTaken:
                continue
        raise PoolExhausted(f"Could not find a free plus-address on {mailbox.address}; try again.")

    async def _store_new(self, record: RootAddress) -> RootAddress:
        """The record and its audit event in one write: on Cosmos DB the event rides in the address document."""
        event = AuditEvent(record.created_at, record.requester.aad_object_id or record.requester.id, "allocate",
                           record.address, {"account_name": record.account_name,
                                            "owner": record.owner.conversation_id, "mailbox": record.mailbox})
        return await self.store.create_address(record, event)

    def _record(self, address, mailbox, request, owner, requester) -> RootAddress:
        now = self.clock()
        return RootAddress(
            address=address.lower(), mailbox=mailbox.address, account_name=request.account_name,
            environment=request.environment, purpose=request.purpose, owner=owner, requester=requester,
            created_at=now, updated_at=now, state=AddressState.ACTIVE, account_id=request.account_id,
            request_id=request.request_id, tags=dict(request.tags))

    async def _check_pool(self, mailbox: Mailbox) -> None:
        """Count for real only near the watermark; admins hear once per fall below it."""
        if self._free.get(mailbox.address, 0) > self.low_watermark:
            return
        free = self._free[mailbox.address] = await self.store.free_alias_count(mailbox.address)
        if free >= self.low_watermark:
            return
        if not await self.store.add_flag(f"pool-low:{mailbox.address}", "notified"):
            return
        logger.warning("alias pool running low", extra={"mailbox": mailbox.address, "free": free})
        if self.on_low_pool:
            await self.on_low_pool(mailbox, free)


async def load_pool(store: Store, mailboxes: list[tuple[Mailbox, list[str]]], low_watermark: int) -> None:
    """Make the store's pool match the configuration: mailboxes saved, new aliases added as free."""
    for mailbox, aliases in mailboxes:
        await store.save_mailbox(mailbox)
        if aliases:
            await store.add_aliases(mailbox.address, [a.lower() for a in aliases])
        if await store.free_alias_count(mailbox.address) >= low_watermark:
            await store.delete_flag(f"pool-low:{mailbox.address}")
