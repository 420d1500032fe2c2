"""The mailbox pool on Cosmos DB: mailbox documents, and alias documents handed out by etag-conditioned replace."""
from __future__ import annotations

import asyncio
import random
import time

from core.model import Mailbox
from storage.cosmos.calls import Docs, params
from storage.cosmos.docs import (MAILBOXES_PK, address_key, alias_doc, aliases_pk, escape, mailbox_doc,
                                 mailbox_from_doc)

CANDIDATES = 32  # free aliases read per query, kept as this instance's shuffled candidates for the next claims
MISSES = 4  # lost races in a row before the candidates are thought stale and read again
ROUNDS = 12
CHUNK = 200  # values per ARRAY_CONTAINS query
WRITERS = 16


class AliasPool:
    def __init__(self, pool: Docs, addresses: Docs):
        self._pool, self._addresses = pool, addresses
        self._home: dict[str, str] = {}  # alias -> mailbox, learned on claim: aliases never change mailbox
        self._candidates: dict[str, list[dict]] = {}  # mailbox -> free alias docs read earlier, with their etags
        self._refill: dict[str, asyncio.Lock] = {}

    async def save_mailbox(self, mailbox: Mailbox) -> None:
        await self._pool.upsert(mailbox_doc(mailbox))

    async def mailboxes(self) -> list[Mailbox]:
        docs = await self._pool.query("SELECT * FROM c WHERE c.pk = @pk", params(pk=MAILBOXES_PK), MAILBOXES_PK)
        return sorted((mailbox_from_doc(d) for d in docs), key=lambda m: m.address)

    async def add(self, mailbox: str, aliases: list[str]) -> int:
        pk = aliases_pk(mailbox)
        known = set(await self._pool.query("SELECT VALUE c.alias FROM c WHERE c.pk = @pk", params(pk=pk), pk))
        new = [a for a in dict.fromkeys(aliases) if a not in known]
        if new:
            known_elsewhere = await self._in_chunks(
                self._pool, "SELECT VALUE c.alias FROM c WHERE c.type = 'alias' AND ARRAY_CONTAINS(@values, c.alias)",
                new)
            new = [a for a in new if a not in known_elsewhere]
        gate = asyncio.Semaphore(WRITERS)

        async def create(alias: str) -> bool:
            """A point read per new alias (1 RU, whatever the number of addresses) keeps used ones out."""
            async with gate:
                if await self._addresses.read(address_key(alias), address_key(alias)) is not None:
                    return False
                return await self._pool.create(alias_doc(mailbox, alias)) is not None

        return sum(await asyncio.gather(*(create(a) for a in new)))

    @staticmethod
    async def _in_chunks(docs: Docs, sql: str, values: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(values), CHUNK):
            found.update(await docs.query(sql, params(values=values[start:start + CHUNK])))
        return found

    async def claim(self, mailbox: str) -> str | None:
        """One etag-conditioned replace per claim in the common case: the free list read by one query serves
        the next claims too. Claims in this instance pop from one shared list, so they never race each other;
        a candidate another instance took fails its etag check and is dropped."""
        for _ in range(ROUNDS):
            candidates = await self._free_candidates(mailbox)
            if not candidates:
                return None
            for _ in range(MISSES):
                if not candidates:
                    break
                doc = candidates.pop()
                if await self._pool.replace({**doc, "state": "claimed", "claimed_at": time.time()}, doc["_etag"]):
                    self._home[doc["alias"]] = mailbox
                    return doc["alias"]
            else:
                if self._candidates.get(mailbox) is candidates:
                    del self._candidates[mailbox]  # lost MISSES races in a row: the list is stale
        return None

    async def _free_candidates(self, mailbox: str) -> list[dict]:
        async with self._refill.setdefault(mailbox, asyncio.Lock()):
            if not self._candidates.get(mailbox):
                pk = aliases_pk(mailbox)
                free = await self._pool.query(
                    f"SELECT TOP {CANDIDATES} * FROM c WHERE c.pk = @pk AND c.state = 'free' ORDER BY c.alias",
                    params(pk=pk), pk)
                random.shuffle(free)  # instances sharing the pool rarely race for the same alias
                self._candidates[mailbox] = free
            return self._candidates[mailbox]

    async def release(self, alias: str) -> None:
        if alias in self._home:
            found = await self._pool.read(escape(alias), aliases_pk(self._home[alias]))
            docs = [found] if found else []
        else:
            docs = await self._pool.query("SELECT * FROM c WHERE c.type = 'alias' AND c.alias = @alias",
                                          params(alias=alias))
        claimed = [d for d in docs if d["state"] == "claimed"]
        if not claimed:
            return
        key = address_key(alias)
        if await self._addresses.read(key, key) is not None:
            return  # an address was made from it: it stays out of the pool for good
        for doc in claimed:
            await self._pool.replace({**doc, "state": "free"}, doc["_etag"])

    async def states(self, mailbox: str) -> dict[str, str]:
        pk = aliases_pk(mailbox)
        docs = await self._pool.query("SELECT c.alias, c.state FROM c WHERE c.pk = @pk AND c.type = 'alias'",
                                      params(pk=pk), pk)
        return {d["alias"]: d["state"] for d in sorted(docs, key=lambda d: d["alias"])}

    async def remove_free(self, mailbox: str, aliases: list[str]) -> int:
        """Etag-conditioned deletes: an alias claimed between the read and the delete stays."""
        pk = aliases_pk(mailbox)
        docs: list[dict] = []
        for start in range(0, len(aliases), CHUNK):
            docs += await self._pool.query(
                "SELECT * FROM c WHERE c.pk = @pk AND c.state = 'free' AND ARRAY_CONTAINS(@values, c.alias)",
                params(pk=pk, values=aliases[start:start + CHUNK]), pk)
        gate = asyncio.Semaphore(WRITERS)

        async def delete(doc: dict) -> bool:
            async with gate:
                return await self._pool.delete(doc["id"], pk, doc["_etag"])

        return sum(await asyncio.gather(*(delete(d) for d in docs)))

    async def free_count(self, mailbox: str) -> int:
        pk = aliases_pk(mailbox)
        return await self._pool.scalar("SELECT VALUE COUNT(1) FROM c WHERE c.pk = @pk AND c.state = 'free'",
                                       params(pk=pk), pk)
