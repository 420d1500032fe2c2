"""Allocation limits: how many addresses one person and one conversation may take per hour and hold open, so that
nobody drains the alias pool (an address is unique forever and never handed out again: 25 quick submits by one
user once took every free alias for good).

Counted from the store's own records, so every instance sees the same numbers: an address counts for the person
who asked for it (`requester_key`) and for the conversation that owns it; "open" means allocated but neither linked
to an AWS account nor retired. Within one instance the check and the allocation of one person and of one
conversation are serialised, so a burst of parallel submits cannot all pass the check before any is counted.
"""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import AsyncIterator, Awaitable, Callable

from core.addresses.allocation import Allocation, Allocator
from core.addresses.rules import NewAddressRequest
from core.model import AddressState, Owner, Page, Person, RootAddress
from core.ports import Clock, Store

PAGE = 100
WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class AllocationLimits:
    """0 switches a limit off."""

    person_per_hour: int = 5
    person_open: int = 5
    conversation_per_hour: int = 10
    conversation_open: int = 20


@dataclass(frozen=True)
class OverLimit:
    scope: str  # "person" | "conversation"
    kind: str  # "hourly" | "open"
    limit: int
    who: str  # the person's key or the conversation id

    @property
    def reason(self) -> str:
        whose = "You have" if self.scope == "person" else "This conversation has"
        if self.kind == "hourly":
            return (f"{whose} asked for {self.limit} new root addresses in the last hour, RootMail's limit. Addresses "
                    "are never reused, so RootMail hands them out at a measured pace: try again later, or ask a "
                    "RootMail admin.")
        return (f"{whose} {self.limit} root addresses that are not linked to an AWS account yet, RootMail's limit. "
                "Link the ones in use (`link <address> <account id>`) or retire the ones you do not need, then ask "
                "again.")


@dataclass
class _Count:
    recent: int = 0
    open: int = 0


class Limiter:
    def __init__(self, store: Store, clock: Clock, limits: AllocationLimits = AllocationLimits()):
        self.store, self.clock, self.limits = store, clock, limits
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._users: dict[tuple[str, str], int] = {}

    async def check(self, person: Person, owner: Owner) -> OverLimit | None:
        """The first limit this person, asking in this conversation, has reached; None if none."""
        limits, key = self.limits, person.aad_object_id or person.id
        since = self.clock() - WINDOW
        if limits.person_per_hour or limits.person_open:
            count = await _counted(lambda cont: self.store.list_addresses(PAGE, cont, requester=key), since)
            if over := _over("person", key, count, limits.person_per_hour, limits.person_open):
                return over
        if limits.conversation_per_hour or limits.conversation_open:
            count = await _counted(lambda cont: self.store.list_by_owner(owner.conversation_id, PAGE, cont), since)
            return _over("conversation", owner.conversation_id, count, limits.conversation_per_hour,
                         limits.conversation_open)
        return None

    async def allocate(self, allocator: Allocator, request: NewAddressRequest, owner: Owner, person: Person,
                       exempt: bool = False) -> Allocation | OverLimit:
        """Allocate unless a limit is reached (admins are `exempt`); a repeated submit of a request that was already
        served still gets its address."""
        if exempt:
            return await allocator.allocate(request, owner, person)
        async with self._holding(("person", person.aad_object_id or person.id), ("conversation", owner.conversation_id)):
            if over := await self.check(person, owner):
                served = await self.store.get_by_request_id(request.request_id)
                return Allocation(served, created=False) if served else over
            return await allocator.allocate(request, owner, person)

    @contextlib.asynccontextmanager
    async def _holding(self, *keys: tuple[str, str]) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for key in keys:  # always in this order: no two callers wait on each other
                self._users[key] = self._users.get(key, 0) + 1
                stack.callback(self._release, key)
                await stack.enter_async_context(self._locks.setdefault(key, asyncio.Lock()))
            yield

    def _release(self, key: tuple[str, str]) -> None:
        self._users[key] -= 1
        if not self._users[key]:  # forget idle keys: the table never grows with everyone who ever asked
            del self._users[key], self._locks[key]


async def _counted(page: Callable[[str | None], Awaitable[Page]], since: datetime) -> _Count:
    count, continuation = _Count(), None
    while True:
        found = await page(continuation)
        for record in found.items:
            count.recent += record.created_at >= since
            count.open += _is_open(record)
        continuation = found.continuation
        if not continuation:
            return count


def _is_open(record: RootAddress) -> bool:
    return record.state is not AddressState.RETIRED and not record.account_id


def _over(scope: str, who: str, count: _Count, per_hour: int, open_max: int) -> OverLimit | None:
    if per_hour and count.recent >= per_hour:
        return OverLimit(scope, "hourly", per_hour, who)
    if open_max and count.open >= open_max:
        return OverLimit(scope, "open", open_max, who)
    return None

