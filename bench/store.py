"""Store benchmark: allocation and lookup latency, allocations per second, and Cosmos DB requests per operation,
at 1k, 10k and 100k existing addresses, for SQLite and the Cosmos DB test server.

    .venv/bin/python -m bench.store [--stores sqlite,cosmos] [--sizes 1000,10000,100000] [--ops 300]

Existing addresses are seeded in bulk, straight into the store's tables or documents (the same rows and documents
the store writes, request-id claims included); only the measured operations go through the Store and
core.addresses.allocation.Allocator. Prints a Markdown table for BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import ssl
import statistics
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

from core.addresses.allocation import Allocator, load_pool
from core.model import AddressState, Mailbox, Owner, Person, RootAddress, Strategy
from core.addresses.rules import NewAddressRequest
from storage.codec import address_to_dict, dumps

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
POOL = Mailbox("pool@example.com", Strategy.ALIAS, 100_000)
OWNERS = [Owner(f"19:team-{n}@thread.tacv2", f"Team {n}") for n in range(50)]
ALICE = Person("29:alice", "Alice", "aad-alice")
CONCURRENCY = 16
WARM_UP = 20


def seed_record(i: int) -> RootAddress:
    return RootAddress(f"aws+seed-{i:06d}@example.com", "aws@example.com", f"Seeded {i}", "production", "bench",
                       OWNERS[i % len(OWNERS)], ALICE, T0, T0, AddressState.ACTIVE,
                       account_id=f"{i:012d}" if i % 10 == 0 else None, request_id=f"seed-{i}")


@dataclass
class Row:
    store: str
    size: int
    results: dict[str, str] = field(default_factory=dict)


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return f"{cuts[49] * 1000:.2f} / {cuts[98] * 1000:.2f}"


async def timed(calls: list[Callable[[], Awaitable]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


# --- seeding -----------------------------------------------------------------------------------------------------
async def seed_sqlite(store, start: int, stop: int) -> None:
    rows = []
    for i in range(start, stop):
        r = seed_record(i)
        rows.append((r.address, r.owner.conversation_id, r.account_name.lower(), r.account_id, r.request_id,
                     dumps(address_to_dict(r))))
    db = store._db  # bulk load into the store's own table: one transaction instead of 100k
    async with store._write:
        await db.execute("BEGIN")
        await db.executemany("INSERT INTO addresses VALUES (?, ?, ?, ?, ?, ?, 1)", rows)
        await db.execute("COMMIT")


async def seed_cosmos(server, database: str, start: int, stop: int) -> None:
    """POSTs the store's own documents to the test server, 64 at a time. The test server does not check
    signatures, so this skips the SDK's per-request overhead; against Azure use storage.migrate instead."""
    import aiohttp

    from storage.cosmos.docs import address_doc, claim_doc

    def docs(i: int) -> list[dict]:
        r = seed_record(i)
        out = [address_doc(r), claim_doc("request", r.request_id, r.address, 0)]
        return out + ([claim_doc("account", r.account_id, r.address, 0)] if r.account_id else [])

    url = f"{server.endpoint}dbs/{database}/colls/addresses/docs"
    context = ssl.create_default_context(cafile=str(server.ca_file))
    gate = asyncio.Semaphore(64)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context, limit=64)) as http:
        async def post(body: dict) -> None:
            async with gate, http.post(url, data=json.dumps(body), headers={"content-type": "application/json"}) as r:
                if r.status != 201:
                    raise RuntimeError(f"seeding failed: {r.status} {await r.text()}")
        for chunk in range(start, stop, 5000):
            await asyncio.gather(*(post(d) for i in range(chunk, min(chunk + 5000, stop)) for d in docs(i)))


# --- stores: a fresh one per size, so each size is measured on exactly that many addresses and a fresh pool -------
@asynccontextmanager
async def sqlite_stores(folder: Path) -> AsyncIterator[Callable]:
    from storage.sqlite import open_sqlite

    @asynccontextmanager
    async def fresh(size: int) -> AsyncIterator[tuple]:
        async with open_sqlite(folder / f"bench-{size}.db") as store:
            await seed_sqlite(store, 0, size)
            yield store, None
    yield fresh


@asynccontextmanager
async def cosmos_stores(folder: Path) -> AsyncIterator[Callable]:
    from storage.cosmos.client import CosmosSettings, open_cosmos
    from tests.cosmos_server import RequestLog, cosmos_server_async

    async with cosmos_server_async() as server:
        @asynccontextmanager
        async def fresh(size: int) -> AsyncIterator[tuple]:
            log = RequestLog()
            settings = CosmosSettings(server.endpoint, server.key, database=f"bench-{size}", create_if_missing=True)
            async with open_cosmos(settings, **log.client_options()) as store:
                await seed_cosmos(server, settings.database, 0, size)
                yield store, log
        yield fresh


# --- measurements ------------------------------------------------------------------------------------------------
async def measure(store, log, size: int, ops: int, ids: itertools.count) -> dict[str, str]:
    suffix = itertools.count()
    allocate = Allocator(store, lambda: datetime.now(timezone.utc), lambda: f"{next(suffix):06x}", 0).allocate

    def new(n: int) -> Callable[[], Awaitable]:
        return lambda: allocate(NewAddressRequest(f"Bench {n}", "production", "bench", None, f"bench-{n}"),
                                OWNERS[n % len(OWNERS)], ALICE)

    for _ in range(WARM_UP):  # first-use costs (SDK caches, SQLite pages, the WAL) are not what we measure
        await new(next(ids))()
        await store.get_address(f"aws+seed-{random.randrange(size):06d}@example.com")
    out: dict[str, str] = {}
    before = log.count() if log else 0
    out["allocate p50/p99 ms"] = percentiles(await timed([new(next(ids)) for _ in range(ops)]))
    if log:
        out["requests/allocate"] = f"{(log.count() - before) / ops:.1f}"
    gate = asyncio.Semaphore(CONCURRENCY)

    async def bounded(call):
        async with gate:
            await call()
    started = time.perf_counter()
    await asyncio.gather(*(bounded(new(next(ids))) for _ in range(ops)))
    out[f"allocations/s ({CONCURRENCY} at once)"] = f"{ops / (time.perf_counter() - started):.0f}"

    picks = [random.randrange(0, size, 10) for _ in range(ops)]  # multiples of 10 carry an account id
    lookups = {"address": lambda i: store.get_address(f"aws+seed-{i:06d}@example.com"),
               "account id": lambda i: store.get_by_account_id(f"{i:012d}"),
               "request id": lambda i: store.get_by_request_id(f"seed-{i}")}
    for name, lookup in lookups.items():
        before = log.count() if log else 0
        samples = await timed([lambda i=i: _found(lookup(i)) for i in picks])
        out[f"by {name} p50/p99 ms"] = percentiles(samples)
        if log:
            out[f"requests/by {name}"] = f"{(log.count() - before) / ops:.1f}"
    if log:
        before = log.count()
        for n in range(ops // 10):  # the form also names an existing AWS account: its id needs its own claim
            i = next(ids)
            await allocate(NewAddressRequest(f"Bench {i}", "production", "bench", f"8{i:011d}", f"bench-{i}"),
                           OWNERS[0], ALICE)
        out["requests/allocate with account id"] = f"{(log.count() - before) / (ops // 10):.1f}"
        before = log.count()
        for n in range(ops // 10):
            i = next(ids)
            await store.create_address(RootAddress(f"aws+direct-{i}@example.com", "aws@example.com", "Direct",
                                                   "production", "bench", OWNERS[0], ALICE, T0, T0,
                                                   account_id=f"9{i:011d}", request_id=f"direct-{i}"))
        out["requests/create_address"] = f"{(log.count() - before) / (ops // 10):.1f}"
    return out


async def _found(lookup: Awaitable) -> None:
    if await lookup is None:
        raise AssertionError("a seeded address was not found")


async def bench(kind: str, sizes: list[int], ops: int) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="rootmail-bench-") as tmp:
        stores = sqlite_stores if kind == "sqlite" else cosmos_stores
        async with stores(Path(tmp)) as fresh:
            for size in sizes:
                started = time.perf_counter()
                async with fresh(size) as (store, log):
                    print(f"  {kind}: seeded {size} addresses in {time.perf_counter() - started:.1f} s", flush=True)
                    aliases = [f"bench-{i:06d}@example.com" for i in range(ops * 2 + ops // 10 + WARM_UP + 10)]
                    await load_pool(store, [(POOL, aliases)], low_watermark=0)
                    rows.append(Row(kind, size, await measure(store, log, size, ops, itertools.count())))
    return rows


def table(rows: list[Row]) -> str:
    columns = list(dict.fromkeys(c for r in rows for c in r.results))
    lines = ["| store | existing | " + " | ".join(columns) + " |", "|---|---:|" + "---:|" * len(columns)]
    for r in rows:
        lines.append(f"| {r.store} | {r.size:,} | " + " | ".join(r.results.get(c, "–") for c in columns) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,cosmos")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--ops", type=int, default=300, help="measured operations of each kind per size")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rows: list[Row] = []
    for kind in args.stores.split(","):
        rows += asyncio.run(bench(kind, sizes, args.ops))
    print(table(rows))


if __name__ == "__main__":
    main()
