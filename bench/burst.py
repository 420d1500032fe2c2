"""Burst benchmark: 10,000 AWS root mails to 200 channels at once, on SQLite or the Cosmos DB test server, posted through
RootMail's real Bot Framework poster to a fake Bot Connector that enforces Teams' limits; as a multiple of the minimum
Teams' limits allow for the same posts, and ingest's CPU per mail as a multiple of the least work for the same mail.

    .venv/bin/python -m bench.burst --store sqlite --digests on [--mails 10000 --channels 200 --addresses 100000
                                    --mailboxes 50 --aliases 300 --ingest 2000] [--format json]

The registry holds --addresses addresses (seeded by a separate process, so RootMail's peak RSS is its own) and a pool of
--mailboxes shared mailboxes x --aliases aliases (ROOTMAIL_POOL_FILE, loaded at start). Mail enters through
core.intake.ingest.ingest with RootMail's inspector (what the SMTP inbox and the Graph source call), 8 at a time
(--sources), as fast as the store takes it. Posts go to tests/fakes/teams_limits.py in its own process. Reports: seconds
from the first mail until the last was visible (its own card or the digest carrying it accepted) against the minimum
for the same posts, CPU per mail of this process, its peak RSS, lost and duplicated mails, 429s, and `python app.py`'s
start-up on the same registry until /readyz (the first start loads the alias pool; then a restart). Then, the app stopped, --ingest more mails are ingested from raw MIME one
at a time against the bare minimum (bench/ingest.py). Every run stops by itself (--deadline seconds).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
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

from bench import seed
from bench.report import add_format, measure, progress, table, times

ROOT = Path(__file__).resolve().parent.parent
SECRET = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="  # a fixed sealing key: benchmarks only
GOALS = {"burst_vs_minimum": 1.2, "ingest_vs_bare": 3.0}


def now() -> datetime:
    return datetime.now(timezone.utc)


@asynccontextmanager
async def fake_connector(latency: float) -> AsyncIterator[str]:
    process = subprocess.Popen([sys.executable, "-m", "tests.fakes.teams_limits", "--latency", str(latency)],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = json.loads(await asyncio.to_thread(process.stdout.readline))["port"]
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stdin.close()
        process.wait(timeout=30)


class Record:
    """The fake Bot Connector's record, read a piece at a time: each poll fetches only the posts accepted since the
    last one, so polling does not count as RootMail's CPU."""

    def __init__(self, url: str):
        self.url, self.accepted, self.throttled, self.started = url, [], {}, 0.0

    async def update(self) -> "Record":
        async with aiohttp.ClientSession() as http, http.get(self.url + "/_record",
                                                             params={"after": str(len(self.accepted))}) as response:
            seen = await response.json()
        self.accepted += seen["accepted"]
        self.throttled, self.started = seen["throttled"], seen["started"]
        return self


def write_pool(folder: Path, mailboxes: int, aliases: int) -> Path:
    path = folder / "pool.json"
    path.write_text(json.dumps({"mailboxes": [
        {"address": f"shared-{m:02d}@example.com", "strategy": "alias", "capacity": 400,
         "aliases": [f"aws-{m:02d}-{i:04d}@example.com" for i in range(aliases)]} for m in range(mailboxes)]}))
    return path


async def seed_registry(target: dict, addresses: int, channels: int, service_url: str) -> None:
    """Run as `python -m bench.burst --seed ...`: the addresses, each owned by one of the channels in turn."""
    from storage.factory import open_store
    from tests.integration.burst_helpers import owner, record as address_record

    owners = [owner(n, service_url) for n in range(channels)]
    records = (address_record(i, owners[i % channels]) for i in range(addresses))
    if target["store"] == "sqlite":
        async with open_store(target["url"]) as store:
            for o in owners:
                await store.save_conversation(o)
            await seed.sqlite_addresses(store, records)
        return
    from storage.cosmos.client import CosmosSettings
    from storage.cosmos.docs import ADDRESSES

    settings = CosmosSettings(target["endpoint"], target["key"], database=target["database"], create_if_missing=True)
    async with open_store(settings) as store:
        for o in owners:
            await store.save_conversation(o)
    docs = (d for r in records for d in seed.address_docs(r))
    await seed.cosmos_docs(target["endpoint"], target["ca_file"], target["database"], ADDRESSES, docs)


async def run(args: argparse.Namespace) -> dict:
    from app import FORWARDER, INSPECTOR, MAIL_WAKE, STORE, create_app
    from bench.ingest import WARM_UP as INGEST_WARM_UP, versus_bare
    from settings import load_settings
    from storage.factory import open_store
    from tests.integration.burst_helpers import Burst, address, deliver, smtp_message

    with tempfile.TemporaryDirectory(prefix="rootmail-burst-") as tmp:
        async with fake_connector(args.latency) as service_url, store_target(args, Path(tmp)) as (env, target):
            env["ROOTMAIL_POOL_FILE"] = str(write_pool(Path(tmp), args.mailboxes, args.aliases))
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "bench.burst", "--seed", json.dumps(target | {
                "addresses": args.addresses, "channels": args.channels, "service_url": service_url})],
                cwd=ROOT, check=True)
            seeded = time.perf_counter() - started
            progress(f"seeded {args.addresses:,} addresses in {seeded:.1f} s")
            first_start = await startup_of_app_py(env)  # loads the alias pool into the store
            restart = await startup_of_app_py(env)
            settings = load_settings({"ROOTMAIL_MAIL_SOURCE": "none", "ROOTMAIL_PORT": "0",
                                      "ROOTMAIL_INSTANCE_ID": "bench-1", "ROOTMAIL_SECRET_KEY": SECRET,
                                      "ROOTMAIL_DIGEST_THRESHOLD": "10" if args.digests == "on" else "0",
                                      "ROOTMAIL_LOG_LEVEL": "WARNING"} | env)
            begun = time.perf_counter()
            runner = web.AppRunner(create_app(settings), access_log=None)
            await runner.setup()  # opens the store, loads the pool, starts the forwarder
            startup = time.perf_counter() - begun
            app = runner.app
            inspector = app[INSPECTOR]
            progress("burst")
            t0 = time.monotonic()
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            keys = await deliver(app[STORE], now, inspector, Burst(args.mails, args.channels), app[MAIL_WAKE].set,
                                 args.sources)
            ingested = time.monotonic() - t0
            result = await wait_until_visible(service_url, set(keys), t0, args.deadline)
            while await app[STORE].count_mails("received") + await app[STORE].count_mails("failed"):
                if time.monotonic() - t0 > args.deadline:
                    break
                await asyncio.sleep(0.2)
            cpu2 = resource.getrusage(resource.RUSAGE_SELF)
            pending = await app[STORE].count_mails("received") + await app[STORE].count_mails("failed")
            lanes = app[FORWARDER].lanes
            await runner.cleanup()
            progress("ingest against the bare minimum")
            kinds = ["health", "billing", "code", "reset"] * (args.ingest // 4 + 2)
            raws = [(bytes(smtp_message(kind, n, "ingest")), address(n % args.addresses))
                    for n, kind in enumerate(kinds[:args.ingest + INGEST_WARM_UP])]
            async with open_store(settings, root=ROOT) as store:
                ingest = await versus_bare(store, now, inspector, raws)
    cpu = (cpu2.ru_utime + cpu2.ru_stime) - (cpu1.ru_utime + cpu1.ru_stime)
    return result | {
        "store": args.store, "digests": args.digests, "mails": args.mails, "channels": args.channels,
        "addresses": args.addresses, "pool": f"{args.mailboxes} x {args.aliases}", "seed_s": round(seeded, 1),
        "startup_s": round(startup, 2), "app_py_first_start_s": round(first_start, 2),
        "app_py_restart_s": round(restart, 2), "ingest_s": round(ingested, 1),
        "cpu_ms_per_mail": round(cpu * 1000 / args.mails, 2), "peak_rss_mb": round(cpu2.ru_maxrss / 1024),
        "pending": pending, "lanes_posts": lanes.posts, "lanes_digests": lanes.digests, "ingest": ingest,
        "goals": GOALS}


async def startup_of_app_py(env: dict) -> float:
    """Seconds from starting `python app.py` on the seeded store until GET /readyz answers 200."""
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
            while time.perf_counter() - started < 300 and process.poll() is None:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/readyz",
                                        timeout=aiohttp.ClientTimeout(total=5)) as response:
                        if response.status == 200:
                            return time.perf_counter() - started
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"python app.py never became ready (exit status {process.poll()})")
    finally:
        process.terminate()
        process.wait(timeout=30)


@asynccontextmanager
async def store_target(args, folder: Path) -> AsyncIterator[tuple[dict, dict]]:
    if args.store == "sqlite":
        url = f"sqlite:///{folder / 'burst.db'}"
        yield {"ROOTMAIL_STORE": url}, {"store": "sqlite", "url": url}
        return
    from tests.cosmos_server import cosmos_server_async

    async with cosmos_server_async() as server:
        env = {"ROOTMAIL_STORE": "cosmos", "ROOTMAIL_COSMOS_ENDPOINT": server.endpoint,
               "ROOTMAIL_COSMOS_KEY": server.key, "ROOTMAIL_COSMOS_DATABASE": "burst",
               "ROOTMAIL_COSMOS_CREATE": "true"}
        yield env, {"store": "cosmos", "endpoint": server.endpoint, "key": server.key,
                    "ca_file": str(server.ca_file), "database": "burst"}


async def wait_until_visible(service_url: str, keys: set[str], t0: float, deadline: float) -> dict:
    """Poll the fake until every mail was delivered (or the deadline)."""
    seen, delivered = Record(service_url), set()
    while time.monotonic() - t0 < deadline and not keys <= delivered:
        await asyncio.sleep(0.25)
        before = len(seen.accepted)
        delivered.update(k for _, _, ks in (await seen.update()).accepted[before:] for k in ks)
    await seen.update()
    if dump := os.environ.get("ROOTMAIL_BENCH_DUMP"):  # the fake's whole record, for a closer look
        Path(dump).write_text(json.dumps({"accepted": seen.accepted, "throttled": seen.throttled,
                                          "started": seen.started, "t0": t0}))
    first_seen: dict[str, float] = {}
    counts: Counter = Counter()
    posts: Counter = Counter()
    for conversation, at, ks in seen.accepted:
        posts[conversation] += 1
        for k in ks:
            counts[k] += 1
            first_seen.setdefault(k, seen.started + at)
    visible = sorted(first_seen[k] - t0 for k in keys if k in first_seen)
    from core.delivery.ratelimit import TEAMS_APP_PER_TENANT, minimum_seconds

    per_channel = sorted(posts.values())
    minimum = minimum_seconds(per_channel, shared=TEAMS_APP_PER_TENANT)
    last = max(visible) if visible else None
    return {"last_visible_s": round(last, 1) if visible else None,
            "median_visible_s": round(visible[len(visible) // 2], 1) if visible else None,
            "lost": len(keys - set(counts)), "duplicates": sum(n - 1 for k, n in counts.items() if k in keys),
            "posts": sum(posts.values()), "throttled_429": sum(seen.throttled.values()),
            "minimum_same_posts_s": minimum, "minimum_per_conversation_only_s": minimum_seconds(per_channel),
            "ratio_to_minimum": round(last / minimum, 2) if visible and minimum else None}


def markdown(r: dict) -> str:
    i = r["ingest"]
    return table(
        ["store", "digests", "addresses", "pool", "posts", "last visible", "minimum (same posts)", "ratio",
         "all recorded", "ingest CPU ms / mail vs bare", "ingest ratio", "CPU ms / mail (all)", "peak RSS",
         "first start / restart to /readyz", "lost", "duplicates", "429s"],
        [[r["store"], r["digests"], f"{r['addresses']:,}", r["pool"], f"{r['posts']:,}", f"{r['last_visible_s']} s",
          f"{r['minimum_same_posts_s']} s", times(r["ratio_to_minimum"]), f"{r['ingest_s']} s",
          f"{i['cpu_ms_per_mail']} vs {i['bare_cpu_ms_per_mail']}", times(i["ratio"]), r["cpu_ms_per_mail"],
          f"{r['peak_rss_mb']} MB", f"{r['app_py_first_start_s']} / {r['app_py_restart_s']} s", r["lost"], r["duplicates"], r["throttled_429"]]])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "cosmos"), default="sqlite")
    parser.add_argument("--digests", choices=("on", "off"), default="on")
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--addresses", type=int, default=100_000)
    parser.add_argument("--mailboxes", type=int, default=50, help="shared mailboxes in the alias pool")
    parser.add_argument("--aliases", type=int, default=300, help="aliases per shared mailbox")
    parser.add_argument("--ingest", type=int, default=2000, help="mails ingested one by one against the bare minimum")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake Bot Connector takes per post")
    parser.add_argument("--deadline", type=float, default=420.0, help="seconds after which the run stops anyway")
    parser.add_argument("--sources", type=int, default=8, help="mails ingested at once (like SMTP connections)")
    parser.add_argument("--seed", help=argparse.SUPPRESS)
    add_format(parser)
    args = parser.parse_args()
    if args.seed:
        target = json.loads(args.seed)
        asyncio.run(seed_registry(target, target["addresses"], target["channels"], target["service_url"]))
        return
    if args.mails > args.addresses:
        parser.error("every mail goes to an address of its own: --addresses must be at least --mails")
    measure("burst", args, lambda a: asyncio.run(run(a)), markdown)


if __name__ == "__main__":
    main()
