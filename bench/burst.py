"""Burst benchmark: 10,000 AWS root mails to 200 channels at once, 100,000 registered addresses, on SQLite or the
Cosmos DB test server, posted through RootMail's real Bot Framework poster to a fake Bot Connector that enforces
Teams' limits (tests/fakes/teams_limits.py, in its own process).

    .venv/bin/python -m bench.burst --store sqlite --digests on
    .venv/bin/python -m bench.burst --store cosmos --digests off [--mails 10000 --channels 200 --addresses 100000]

Mail enters through core.intake.ingest.ingest with RootMail's inspector (what the SMTP inbox and the Graph source call),
8 mails at a time (--sources), as fast as the store takes it. Reports: seconds from the first mail to the moment the last mail became
visible (its own card or the digest carrying it was accepted) against the minimum Teams' limits allow for the same
posts, CPU seconds per mail of the RootMail process, its peak RSS, lost and duplicated mails, 429s, and the
start-up time of the app with the seeded addresses. Addresses are seeded by a separate process, so RootMail's peak
RSS is its own. Every run stops by itself (--deadline seconds).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- the fake Bot Connector, in its own process ----------------------------------------------------------------
@asynccontextmanager
async def fake_connector(latency: float) -> AsyncIterator[str]:
    process = subprocess.Popen([sys.executable, "-m", "tests.fakes.teams_limits", "--latency", str(latency)],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = json.loads(await asyncio.to_thread(process.stdout.readline))["port"]
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stdin.close()
        process.wait(timeout=10)


async def record(url: str) -> dict:
    async with aiohttp.ClientSession() as http, http.get(url + "/_record") as response:
        return await response.json()


# --- seeding (run as a child process: python -m bench.burst --seed ...) ----------------------------------
async def seed_sqlite(path: str, addresses: int, channels: int, service_url: str) -> None:
    from storage.codec import address_to_dict, dumps
    from storage.sqlite import open_sqlite
    from tests.integration.burst_helpers import owner, record as address_record

    owners = [owner(n, service_url) for n in range(channels)]
    async with open_sqlite(path) as store:
        for o in owners:
            await store.save_conversation(o)
        rows = []
        for i in range(addresses):
            r = address_record(i, owners[i % channels])
            rows.append((r.address, r.owner.conversation_id, r.account_name.lower(), None, r.request_id,
                         dumps(address_to_dict(r))))
        async with store._write:  # one transaction, straight into the store's own table (as bench_store does)
            await store._db.execute("BEGIN")
            await store._db.executemany("INSERT INTO addresses VALUES (?, ?, ?, ?, ?, ?, 1)", rows)
            await store._db.execute("COMMIT")


async def seed_cosmos(endpoint: str, key: str, ca_file: str, database: str, addresses: int, channels: int,
                      service_url: str) -> None:
    import ssl

    from storage.cosmos.client import CosmosSettings, open_cosmos
    from storage.cosmos.docs import address_doc, claim_doc
    from tests.integration.burst_helpers import owner, record as address_record

    owners = [owner(n, service_url) for n in range(channels)]
    async with open_cosmos(CosmosSettings(endpoint, key, database=database, create_if_missing=True)) as store:
        for o in owners:
            await store.save_conversation(o)
    url = f"{endpoint}dbs/{database}/colls/addresses/docs"
    gate = asyncio.Semaphore(64)
    context = ssl.create_default_context(cafile=ca_file)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context, limit=64)) as http:
        async def post(body: dict) -> None:
            async with gate, http.post(url, data=json.dumps(body), headers={"content-type": "application/json"}) as r:
                if r.status != 201:
                    raise RuntimeError(f"seeding failed: {r.status} {await r.text()}")
        for start in range(0, addresses, 5000):
            docs = []
            for i in range(start, min(start + 5000, addresses)):
                r = address_record(i, owners[i % channels])
                docs += [address_doc(r), claim_doc("request", r.request_id, r.address, 0)]
            await asyncio.gather(*(post(d) for d in docs))


# --- one run ------------------------------------------------------------------------------------------------------
async def run(args: argparse.Namespace) -> dict:
    from app import FORWARDER, INSPECTOR, MAIL_WAKE, STORE, create_app
    from settings import load_settings
    from tests.integration.burst_helpers import Burst, deliver

    with tempfile.TemporaryDirectory(prefix="rootmail-burst-") as tmp:
        async with fake_connector(args.latency) as service_url, store_target(args, Path(tmp)) as (env, seed):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "bench.burst", "--seed", json.dumps(seed | {
                "addresses": args.addresses, "channels": args.channels, "service_url": service_url})],
                cwd=ROOT, check=True)
            seeded = time.perf_counter() - started
            process_startup = await startup_of_app_py(env)
            settings = load_settings({"ROOTMAIL_MAIL_SOURCE": "none", "ROOTMAIL_PORT": "0",
                                      "ROOTMAIL_INSTANCE_ID": "bench-1", "ROOTMAIL_SECRET_KEY": SECRET,
                                      "ROOTMAIL_DIGEST_THRESHOLD": "10" if args.digests == "on" else "0",
                                      "ROOTMAIL_LOG_LEVEL": "WARNING"} | env)
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            begun = time.perf_counter()
            runner = web.AppRunner(create_app(settings), access_log=None)
            await runner.setup()  # opens the store, loads the pool, starts the forwarder
            startup = time.perf_counter() - begun
            app = runner.app
            burst = Burst(args.mails, args.channels)
            t0 = time.monotonic()
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            keys = await deliver(app[STORE], now, app[INSPECTOR], burst, app[MAIL_WAKE].set, args.sources)
            ingested = time.monotonic() - t0
            wake = app[FORWARDER]
            result = await wait_until_visible(service_url, set(keys), t0, args.deadline)
            while await app[STORE].count_mails("received") + await app[STORE].count_mails("failed"):
                if time.monotonic() - t0 > args.deadline:
                    break
                await asyncio.sleep(0.2)
            cpu2 = resource.getrusage(resource.RUSAGE_SELF)
            pending = await app[STORE].count_mails("received") + await app[STORE].count_mails("failed")
            lanes = wake.lanes
            posts_made, digests = lanes.posts, lanes.digests
            await runner.cleanup()
    cpu = (cpu2.ru_utime + cpu2.ru_stime) - (cpu1.ru_utime + cpu1.ru_stime)
    return result | {"store": args.store, "digests": args.digests, "mails": args.mails, "channels": args.channels,
                     "addresses": args.addresses, "seed_s": round(seeded, 1), "startup_s": round(startup, 2),
                     "app_py_ready_s": round(process_startup, 2),
                     "ingest_s": round(ingested, 1), "cpu_ms_per_mail": round(cpu * 1000 / args.mails, 2),
                     "peak_rss_mb": round(cpu2.ru_maxrss / 1024), "pending": pending, "lanes_posts": posts_made,
                     "lanes_digests": digests, "startup_cpu_s": round((cpu1.ru_utime + cpu1.ru_stime)
                                                                      - (cpu0.ru_utime + cpu0.ru_stime), 2)}


SECRET = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="  # a fixed sealing key: benchmarks only


async def startup_of_app_py(env: dict) -> float:
    """Seconds from starting `python app.py` on the seeded store until GET /readyz answers 200."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=os.environ | env | {
                                   "ROOTMAIL_PORT": str(port), "ROOTMAIL_MAIL_SOURCE": "none",
                                   "ROOTMAIL_SECRET_KEY": SECRET, "ROOTMAIL_LOG_LEVEL": "WARNING"})
    try:
        async with aiohttp.ClientSession() as http:
            while time.perf_counter() - started < 120:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                        if response.status == 200:
                            return time.perf_counter() - started
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        return float("nan")
    finally:
        process.terminate()
        process.wait(timeout=20)


@asynccontextmanager
async def store_target(args, folder: Path) -> AsyncIterator[tuple[dict, dict]]:
    if args.store == "sqlite":
        path = folder / "burst.db"
        yield {"ROOTMAIL_STORE": f"sqlite:///{path}"}, {"store": "sqlite", "path": str(path)}
        return
    from tests.cosmos_server import cosmos_server_async

    async with cosmos_server_async() as server:
        env = {"ROOTMAIL_STORE": "cosmos", "ROOTMAIL_COSMOS_ENDPOINT": server.endpoint,
               "ROOTMAIL_COSMOS_KEY": server.key, "ROOTMAIL_COSMOS_DATABASE": "burst",
               "ROOTMAIL_COSMOS_CREATE": "true"}
        yield env, {"store": "cosmos", "endpoint": server.endpoint, "key": server.key,
                    "ca_file": str(server.ca_file), "database": "burst"}


async def wait_until_visible(service_url: str, keys: set[str], t0: float, deadline: float) -> dict:
    """Poll the fake until every mail was delivered (or the deadline); then read its whole record once."""
    while time.monotonic() - t0 < deadline:
        await asyncio.sleep(1.0)
        seen = await record(service_url)
        delivered = {k for _, _, ks in seen["accepted"] for k in ks}
        if keys <= delivered:
            break
    seen = await record(service_url)
    if dump := os.environ.get("ROOTMAIL_BENCH_DUMP"):  # the fake's whole record, for a closer look
        Path(dump).write_text(json.dumps(seen | {"t0": t0}))
    first_seen: dict[str, float] = {}
    counts: Counter = Counter()
    posts: Counter = Counter()
    for conversation, at, ks in seen["accepted"]:
        posts[conversation] += 1
        for k in ks:
            counts[k] += 1
            first_seen.setdefault(k, seen["started"] + at)
    visible = [first_seen[k] - t0 for k in keys if k in first_seen]
    from core.delivery.ratelimit import TEAMS_APP_PER_TENANT, minimum_seconds

    per_channel = sorted(posts.values())
    return {"last_visible_s": round(max(visible), 1) if visible else None,
            "median_visible_s": round(sorted(visible)[len(visible) // 2], 1) if visible else None,
            "lost": len(keys - set(counts)), "duplicates": sum(n - 1 for k, n in counts.items() if k in keys),
            "posts": sum(posts.values()), "throttled_429": sum(seen["throttled"].values()),
            "minimum_same_posts_s": minimum_seconds(per_channel, shared=TEAMS_APP_PER_TENANT),
            "minimum_per_conversation_only_s": minimum_seconds(per_channel)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "cosmos"), default="sqlite")
    parser.add_argument("--digests", choices=("on", "off"), default="on")
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--addresses", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake Bot Connector takes per post")
    parser.add_argument("--deadline", type=float, default=420.0, help="seconds after which the run stops anyway")
    parser.add_argument("--sources", type=int, default=8, help="mails ingested at once (like SMTP connections)")
    parser.add_argument("--seed", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        seed = json.loads(args.seed)
        common = (seed["addresses"], seed["channels"], seed["service_url"])
        if seed["store"] == "sqlite":
            asyncio.run(seed_sqlite(seed["path"], *common))
        else:
            asyncio.run(seed_cosmos(seed["endpoint"], seed["key"], seed["ca_file"], seed["database"], *common))
        return
    load = os.getloadavg()
    result = asyncio.run(run(args))
    result["load_before"] = f"{load[0]:.1f}"
    result["load_after"] = f"{os.getloadavg()[0]:.1f}"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
