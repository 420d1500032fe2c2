"""Store benchmark: allocation and look-ups through RootMail as multiples of the bare store doing the same, from 1,000 to
1,000,000 existing addresses and a pool of 50 shared mailboxes x 300 aliases, on SQLite and the Cosmos DB test server.

    .venv/bin/python -m bench.store [--stores sqlite,cosmos] [--sizes 1000,10000,100000,1000000] [--ops 1000]
                                    [--mailboxes 50 --aliases 300] [--format json]

For each size a fresh store is seeded in bulk (bench/seed.py: the store's own rows and documents, request-id claims
and, for every tenth address, an account id included) and its alias pool loaded. Then, one after the other and
interleaved so load on a shared box touches both alike:
- allocate: core.addresses.allocation.Allocator.allocate, against the bare write of the same rows (bench/bare.py);
- look-ups: get_address, get_by_account_id, get_by_request_id of random seeded addresses, against a bare point read.
Ratios are of the medians (p50); p99 is shown too. Cosmos DB: HTTP requests per operation, counted on the SDK's
pipeline (tests.cosmos_server.RequestLog).
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import tempfile
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

from bench import seed
from bench.bare import Allocation, BareCosmos, bare
from bench.report import add_format, measure, ms, percentile, progress, ratio, table, times
from core.addresses.allocation import Allocator, load_pool
from core.addresses.rules import NewAddressRequest
from core.model import AddressState, AuditEvent, Mailbox, Owner, Person, RootAddress, Strategy

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)  # when the seeded addresses were made: data, not a clock
OWNERS = [Owner(f"19:team-{n}@thread.tacv2", f"Team {n}") for n in range(50)]
ALICE = Person("29:alice", "Alice", "aad-alice")
BARE_BOX = "bare@example.com"  # the bare writes' own aliases, so they never take one RootMail's allocator wants
WARM_UP = 20
BARE_REQUESTS = {"allocate": 3, "read": 1}  # what bench/bare.py sends to Cosmos DB per operation
GOALS = {"allocate": 3.0, "lookup": 1.5}


def seed_record(i: int) -> RootAddress:
    return RootAddress(f"aws+seed-{i:07d}@example.com", "aws@example.com", f"Seeded {i}", "production", "bench",
                       OWNERS[i % len(OWNERS)], ALICE, T0, T0, AddressState.ACTIVE,
                       account_id=f"{i:012d}" if i % 10 == 0 else None, request_id=f"seed-{i}")


def pool(args: argparse.Namespace) -> list[tuple[Mailbox, list[str]]]:
    boxes = [(Mailbox(f"shared-{m:02d}@example.com", Strategy.ALIAS, args.aliases),
              [f"aws-{m:02d}-{i:04d}@example.com" for i in range(args.aliases)]) for m in range(args.mailboxes)]
    bare_aliases = [f"bare-{i:06d}@example.com" for i in range(args.ops + WARM_UP)]
    return boxes + [(Mailbox(BARE_BOX, Strategy.ALIAS, len(bare_aliases), state="bare"), bare_aliases)]


# --- a fresh store per size, so each size is measured on exactly that many addresses and a fresh pool -------------
@asynccontextmanager
async def sqlite_store(folder: Path, size: int, args) -> AsyncIterator[tuple]:
    from storage.sqlite import open_sqlite

    async with open_sqlite(folder / f"bench-{size}.db") as store:
        await seed.sqlite_addresses(store, (seed_record(i) for i in range(size)))
        await load_pool(store, pool(args), low_watermark=0)
        yield store, None


@asynccontextmanager
async def cosmos_store(server, size: int, args) -> AsyncIterator[tuple]:
    from storage.cosmos.client import CosmosSettings, open_cosmos
    from storage.cosmos.docs import ADDRESSES, POOL
    from tests.cosmos_server import RequestLog

    log = RequestLog()
    settings = CosmosSettings(server.endpoint, server.key, database=f"bench-{size}", create_if_missing=True)
    async with open_cosmos(settings, **log.client_options()) as store:
        docs = (d for i in range(size) for d in seed.address_docs(seed_record(i)))
        await seed.cosmos_docs(server.endpoint, str(server.ca_file), settings.database, ADDRESSES, docs)
        await seed.cosmos_docs(server.endpoint, str(server.ca_file), settings.database, POOL, seed.pool_docs(pool(args)))
        yield store, log


async def timed(call: Callable[[], Awaitable]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def side_by_side(ours: list[Callable[[], Awaitable]], theirs: list[Callable[[], Awaitable]]) -> dict:
    """Each pair timed one right after the other, in alternating order; medians and p99 of both, and their ratio."""
    mine, base = [], []
    for n, (a, b) in enumerate(zip(ours, theirs)):
        if n % 2:
            base.append(await timed(b))
            mine.append(await timed(a))
        else:
            mine.append(await timed(a))
            base.append(await timed(b))
    return {"ms": {"p50": ms(percentile(mine, 50), 3), "p99": ms(percentile(mine, 99), 3)},
            "bare_ms": {"p50": ms(percentile(base, 50), 3), "p99": ms(percentile(base, 99), 3)},
            "ratio": ratio(percentile(mine, 50), percentile(base, 50))}


def bare_job(i: int, now: datetime) -> Allocation:
    alias = f"bare-{i:06d}@example.com"
    record = RootAddress(alias, BARE_BOX, f"Bench {i}", "production", "bench", OWNERS[i % len(OWNERS)], ALICE, now,
                         now, AddressState.ACTIVE, request_id=f"bare-{i}")
    event = AuditEvent(now, ALICE.aad_object_id, "allocate", alias,
                       {"account_name": record.account_name, "owner": record.owner.conversation_id, "mailbox": BARE_BOX})
    return Allocation(BARE_BOX, alias, record, event)


async def one_size(store, log, size: int, ops: int) -> dict:
    ids = itertools.count()
    allocate = Allocator(store, lambda: datetime.now(timezone.utc), lambda: f"{next(ids):06x}", 0).allocate
    base = bare(store)

    def new(n: int) -> Callable[[], Awaitable]:
        return lambda: allocate(NewAddressRequest(f"Bench {n}", "production", "bench", None, f"bench-{n}"),
                                OWNERS[n % len(OWNERS)], ALICE)

    now = datetime.now(timezone.utc)
    if isinstance(base, BareCosmos):
        free = {d["alias"]: d for d in await base.free_aliases(BARE_BOX)}
        prepared = [base.prepared(bare_job(i, now), free[bare_job(i, now).alias]) for i in range(ops + WARM_UP)]
    else:
        prepared = [base.prepared(bare_job(i, now)) for i in range(ops + WARM_UP)]
    for n in range(WARM_UP):  # first-use costs (SDK caches, SQLite pages, the WAL) are not what we measure
        await new(next(ids))()
        await base.allocate(prepared[n])
        await store.get_address(seed_record(random.randrange(size)).address)
    before = log.count() if log else 0
    out: dict = {"allocate": await side_by_side([new(next(ids)) for _ in range(ops)],
                                                [lambda rows=rows: base.allocate(rows) for rows in prepared[WARM_UP:]])}
    requests = {"allocate": round((log.count() - before) / ops - BARE_REQUESTS["allocate"], 1)} if log else {}
    picks = [seed_record(random.randrange(0, size, 10)) for _ in range(ops)]  # multiples of 10 carry an account id
    lookups = {"address": (store.get_address, "address"), "account id": (store.get_by_account_id, "account_id"),
               "request id": (store.get_by_request_id, "request_id")}
    for kind, (lookup, field) in lookups.items():
        before = log.count() if log else 0
        out[kind] = await side_by_side(
            [lambda r=r: _found(lookup(getattr(r, field))) for r in picks],
            [lambda r=r: _found(base.read(kind, r.address if isinstance(base, BareCosmos) else getattr(r, field)))
             for r in picks])
        if log:
            requests[kind] = round((log.count() - before) / ops - BARE_REQUESTS["read"], 1)
    if log:  # the form also names an existing AWS account: its id needs a claim of its own
        before, extra = log.count(), max(ops // 10, 1)
        for _ in range(extra):
            n = next(ids)
            await allocate(NewAddressRequest(f"Bench {n}", "production", "bench", f"8{n:011d}", f"bench-{n}"),
                           OWNERS[0], ALICE)
        requests["allocate with account id"] = round((log.count() - before) / extra, 1)
    return out | ({"requests": requests} if log else {})


async def _found(lookup: Awaitable) -> None:
    if await lookup is None:
        raise AssertionError("a seeded address was not found")


async def bench(kind: str, sizes: list[int], args: argparse.Namespace) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="rootmail-bench-") as tmp:
        async with _server(kind) as server:
            for size in sizes:
                started = time.perf_counter()
                opened = sqlite_store(Path(tmp), size, args) if kind == "sqlite" else cosmos_store(server, size, args)
                async with opened as (store, log):
                    progress(f"{kind}: {size:,} addresses seeded in {time.perf_counter() - started:.1f} s")
                    rows.append({"store": kind, "size": size, "pool": f"{args.mailboxes} x {args.aliases}",
                                 **await one_size(store, log, size, args.ops)})
    return rows


@asynccontextmanager
async def _server(kind: str) -> AsyncIterator:
    if kind != "cosmos":
        yield None
        return
    from tests.cosmos_server import cosmos_server_async

    async with cosmos_server_async() as server:
        yield server


def markdown(results: dict) -> str:
    lookups = ("address", "account id", "request id")
    rows = [[r["store"], f"{r['size']:,}", r["pool"],
             f"{r['allocate']['ms']['p50']} / {r['allocate']['ms']['p99']}",
             f"{r['allocate']['bare_ms']['p50']} / {r['allocate']['bare_ms']['p99']}", times(r["allocate"]["ratio"]),
             *(f"{r[k]['ms']['p50']} vs {r[k]['bare_ms']['p50']}: {times(r[k]['ratio'])}" for k in lookups)]
            for r in results["rows"]]
    out = table(["store", "addresses", "pool", "allocate p50 / p99 ms", "bare write p50 / p99 ms", "ratio",
                 *(f"by {k}: p50 ms vs bare, ratio" for k in lookups)], rows)
    counted = [r for r in results["rows"] if "requests" in r]
    if counted:
        kinds = ["allocate", "allocate with account id", *lookups]
        out += "\n\n" + table(["store", "addresses", "requests / allocate", "… with an account id",
                               *(f"requests / by {k}" for k in lookups)],
                              [[r["store"], f"{r['size']:,}", *(r["requests"][k] for k in kinds)] for r in counted])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,cosmos")
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--ops", type=int, default=1000, help="measured operations of each kind per size")
    parser.add_argument("--mailboxes", type=int, default=50, help="shared mailboxes in the alias pool")
    parser.add_argument("--aliases", type=int, default=300, help="aliases per shared mailbox")
    add_format(parser)
    args = parser.parse_args()
    if args.ops + args.ops // 10 + WARM_UP + 1 > args.mailboxes * args.aliases:
        parser.error("the pool (--mailboxes x --aliases) must hold 1.1 x --ops + 21 allocations")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    measure("store", args, lambda a: {"rows": [row for kind in a.stores.split(",") for row in asyncio.run(
        bench(kind, sizes, a))], "goals": GOALS}, markdown)


if __name__ == "__main__":
    main()
