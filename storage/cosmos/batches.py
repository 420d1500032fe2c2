"""CosmosStore's batches for the Graph path. Cosmos DB has no transaction across partitions (a flag and a mail live
in different containers), so a batch is its per-document operations, a few in flight at a time, every one tried."""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, TypeVar

from core.errors import StoreUnavailable
from core.model import InboundMail, MailState, RootAddress
from storage.cosmos.calls import Docs, params
from storage.cosmos.docs import address_from_doc, escape, flag_doc, flag_key, mail_doc

T = TypeVar("T")
WRITERS = 8  # documents in flight per batch: a notification's handful at once, a large batch without a burst of 429s
CHUNK = 100  # keys per query: the query text and its parameters stay small


async def _every(items: list, call: Callable[..., Awaitable[T]]) -> list[T]:
    """`call` on every item, WRITERS at a time; if any failed, the first failure is raised once all were tried, so
    one failing document never keeps the others from being written."""
    gate = asyncio.Semaphore(WRITERS)

    async def one(item) -> T:
        async with gate:
            return await call(item)
    results = await asyncio.gather(*(one(item) for item in items), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        error = failed[0]
        if isinstance(error, StoreUnavailable):
            raise StoreUnavailable(f"{len(failed)} of {len(items)} documents failed; the first: {error}",
                                   error.kind) from error
        raise error
    return results


class CosmosBatches:
    """Mixed into CosmosStore; uses its mails and meta containers."""

    _mails: Docs
    _meta: Docs
    _address_doc: Callable[[str], Awaitable[dict | None]]

    async def record_mails(self, mails: list[InboundMail], flags: dict[str, str] | None = None) -> list[bool]:
        # the notes first, as GraphIngest wrote them one by one before: a record is never without its note
        await _every([flag_doc(name, value) for name, value in (flags or {}).items()], self._meta.upsert)
        created = await _every([mail_doc(mail) for mail in mails], self._mails.create)
        return [doc is not None for doc in created]

    async def mail_states(self, keys: list[str]) -> dict[str, MailState]:
        by_id = {escape(key): key for key in keys}
        ids, found = list(by_id), {}
        for start in range(0, len(ids), CHUNK):
            rows = await self._mails.query("SELECT c.id, c.state FROM c WHERE c.type = 'mail' "
                                           "AND ARRAY_CONTAINS(@ids, c.id)", params(ids=ids[start:start + CHUNK]))
            found.update((by_id[row["id"]], MailState(row["state"])) for row in rows)
        return found

    async def delete_flags(self, names: list[str]) -> None:
        await _every([flag_key(name) for name in dict.fromkeys(names)], lambda key: self._meta.delete(key, key))

    async def get_addresses(self, addresses: list[str]) -> dict[str, RootAddress]:
        # a point read each (1 RU whatever the registry's size), a few in flight: cheaper than a query on the ids
        keys = list(dict.fromkeys(a.strip().lower() for a in addresses))
        docs = await _every(keys, self._address_doc)
        return {key: address_from_doc(doc) for key, doc in zip(keys, docs) if doc is not None}
