"""Uniqueness across partitions and app instances for request ids and AWS account ids: claim documents.

A claim is a document whose id is the unique value (`request:<id>`, `account:<id>`), created with create_item, so
Cosmos itself lets only one writer have it (409 for everyone else). The claim names the address it is for; it
counts only once that address document carries the value ("committed"). So a writer claims first and writes the
address second, and a reader follows claim -> address and checks.

A claim whose address never got the value (the writer failed before undoing, or crashed) is abandoned. It is taken
over with an etag-conditioned replace, but only when it is older than `grace`: a younger one may belong to a writer
that is between its two steps, and taking it then could let both writers commit. `grace` must be longer than one
write can take (its timeout), which the settings make sure of.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from core.errors import Conflict, NotFound
from storage.cosmos.calls import Docs
from storage.cosmos.docs import claim_doc, claim_key, normalize

Committed = Callable[[str], Awaitable[bool]]  # does this address's document carry the value?

WAITS = (0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.2)  # for a claim another writer is still committing (about 3 s)


class ValueTaken(Exception):
    def __init__(self, holder: str):
        self.holder = holder
        super().__init__(holder)


@dataclass(frozen=True)
class Claim:
    """What `take` got: `etag` is set when this call created or took over the claim (so it may undo it)."""

    key: str
    etag: str | None


class UniqueValues:
    def __init__(self, docs: Docs, grace: float, clock: Callable[[], float] = time.time):
        self._docs, self._grace, self._clock = docs, grace, clock

    async def holder(self, kind: str, value: str) -> str | None:
        """The address the value is claimed for, committed or not: callers check the address document."""
        key = claim_key(kind, value)
        doc = await self._docs.read(key, key)
        return doc["address"] if doc else None

    async def take(self, kind: str, value: str, address: str, committed: Committed) -> Claim:
        """Claim `value` for `address`; ValueTaken(holder) when another address has it committed."""
        body = claim_doc(kind, value, address, self._clock())
        key, address = body["id"], normalize(address)
        for wait in (*WAITS, None):
            created = await self._docs.create(body)
            if created is not None:
                return Claim(key, created["_etag"])
            current = await self._docs.read(key, key)
            if current is None:
                continue  # released between our create and read: try again at once
            if current["address"] == address:
                return await self._refresh(current, body)
            if await committed(current["address"]):
                raise ValueTaken(current["address"])
            if self._clock() - current["claimed_at"] >= self._grace:
                if taken := await self._take_over(body, current["_etag"]):
                    return Claim(key, taken["_etag"])
                continue
            if wait is None:
                break
            await asyncio.sleep(wait)
        raise Conflict(f"Another request is using {kind} {value} right now; try again in a moment.")

    async def _take_over(self, body: dict, etag: str) -> dict | None:
        """Replace an abandoned claim; None if someone else changed or removed it first."""
        try:
            return await self._docs.replace(body, etag)
        except NotFound:
            return None

    async def _refresh(self, current: dict, body: dict) -> Claim:
        """Our own earlier claim (a retried write): renew its time so nobody treats it as abandoned mid-write."""
        if self._clock() - current["claimed_at"] < self._grace / 2:
            return Claim(current["id"], None)
        if await self._take_over(body, current["_etag"]) is None:
            raise Conflict(f"{body['kind']} {body['value']} changed while it was being claimed; try again.")
        return Claim(current["id"], None)

    async def undo(self, claim: Claim) -> None:
        """Remove a claim this call made, unless someone has replaced it since."""
        if claim.etag:
            await self._docs.delete(claim.key, claim.key, claim.etag)

    async def release(self, kind: str, value: str, address: str) -> None:
        """Drop the claim if it still names `address` (the value was unlinked from it)."""
        key = claim_key(kind, value)
        doc = await self._docs.read(key, key)
        if doc and doc["address"] == normalize(address):
            await self._docs.delete(key, key, doc["_etag"])
