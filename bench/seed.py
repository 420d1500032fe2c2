"""Registries of many addresses and aliases, written in bulk straight into a store's own tables or documents (the rows
and documents the store itself writes), so a run at 1,000,000 addresses does not spend hours allocating them."""
from __future__ import annotations

import asyncio
import json
import ssl
from itertools import islice
from typing import Iterable, Iterator

import aiohttp

from core.model import Mailbox, RootAddress
from storage.codec import address_to_dict, dumps

CHUNK = 20_000  # rows per executemany / documents in flight per round: bounded memory at any registry size
CONNECTIONS = 64


def chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


async def sqlite_addresses(store, records: Iterable[RootAddress]) -> None:
    """One transaction into the SQLite store's own table (what SqliteStore.create_address writes, audit aside)."""
    db = store._db
    async with store._write:
        await db.execute("BEGIN")
        for chunk in chunks(records):
            await db.executemany("INSERT INTO addresses VALUES (?, ?, ?, ?, ?, ?, 1)", [
                (r.address.lower(), r.owner.conversation_id, r.account_name.lower(), r.account_id, r.request_id,
                 dumps(address_to_dict(r))) for r in chunk])
        await db.execute("COMMIT")


def address_docs(record: RootAddress) -> list[dict]:
    """What CosmosStore.create_address writes: the address document and a claim for each unique id it carries."""
    from storage.cosmos.docs import address_doc, claim_doc

    docs = [address_doc(record), claim_doc("request", record.request_id, record.address, 0)]
    return docs + ([claim_doc("account", record.account_id, record.address, 0)] if record.account_id else [])


def pool_docs(pool: list[tuple[Mailbox, list[str]]]) -> list[dict]:
    """What CosmosStore.save_mailbox and add_aliases write: a document per mailbox and per free alias."""
    from storage.cosmos.docs import alias_doc, mailbox_doc

    return [doc for mailbox, aliases in pool
            for doc in [mailbox_doc(mailbox)] + [alias_doc(mailbox.address, a.lower()) for a in aliases]]


async def cosmos_docs(endpoint: str, ca_file: str, database: str, container: str, docs: Iterable[dict]) -> None:
    """POSTs documents to the Cosmos DB test server, 64 at a time. The test server does not check signatures, so
    this skips the SDK's per-request cost; against Azure use storage.migrate instead."""
    url = f"{endpoint}dbs/{database}/colls/{container}/docs"
    context = ssl.create_default_context(cafile=ca_file)
    gate = asyncio.Semaphore(CONNECTIONS)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context, limit=CONNECTIONS)) as http:
        async def post(body: dict) -> None:
            async with gate, http.post(url, data=json.dumps(body), headers={"content-type": "application/json"},
                                       timeout=aiohttp.ClientTimeout(total=60)) as response:
                if response.status != 201:
                    raise RuntimeError(f"seeding failed: {response.status} {await response.text()}")
        for chunk in chunks(docs, CHUNK // 4):
            await asyncio.gather(*(post(d) for d in chunk))
