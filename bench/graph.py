"""Graph mail source benchmark: change-notification-to-channel-post latency, and RootMail's CPU per mail through
notification -> fetch -> parse -> route -> ingest -> card -> post as a multiple of the least work for the same mail.

    .venv/bin/python -m bench.graph [--mailboxes 5 --aliases 300 --channels 300 --latency-mails 300
                                     --throughput-mails 1500] [--format json] [--profile FILE]

RootMail runs in this process exactly as in production with ROOTMAIL_MAIL_SOURCE=graph (SQLite store, its Bot
Framework poster, its inspector); the fake Graph and a recording Bot Connector run in a child process
(bench/graph_fakes.py), so the CPU seconds measured here are RootMail's own. Latency is timed in the child: from the
moment the fake Graph posts a change notification until the Bot Connector receives the card. Teams' posting limits
stay on per conversation; mail is spread over many channels and the app-wide cap is lifted, so the pipeline itself is
measured.

The baseline, in this process right after RootMail's run: for each of the same mails, the message JSON exactly as
Graph answered RootMail parsed with json.loads, its internetMessageHeaders parsed as MIME headers with the standard
library's email parser (From, To, Subject and Authentication-Results read), and the very card RootMail posted sent
once over one pooled aiohttp session to the same Bot Connector. RootMail's CPU per mail is reported as a multiple of
the baseline's.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import replace
from email import policy
from email.parser import HeaderParser
from pathlib import Path
from typing import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from bench.graph_fakes import BASELINE, alias, mailbox
from bench.report import add_format, measure, ms, percentile, progress, ratio, table, times

ROOT = Path(__file__).resolve().parent.parent
GOAL_CPU_RATIO = 3.0
GOAL_LATENCY_P95_MS = 50.0


@asynccontextmanager
async def fakes(args: argparse.Namespace) -> AsyncIterator[tuple[str, str]]:
    process = subprocess.Popen([sys.executable, "-m", "bench.graph_fakes", "--mailboxes", str(args.mailboxes),
                                "--aliases", str(args.aliases)], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        ports = json.loads(await asyncio.to_thread(process.stdout.readline))
        yield f"http://127.0.0.1:{ports['graph']}", f"http://127.0.0.1:{ports['connector']}"
    finally:
        process.stdin.close()
        process.wait(timeout=30)


async def seed(path: Path, args: argparse.Namespace, service_url: str) -> None:
    """Every alias is an address, owned by one of the channels in turn."""
    from storage.sqlite import open_sqlite
    from tests.integration.burst_helpers import owner, record

    owners = [owner(n, service_url) for n in range(args.channels)]
    async with open_sqlite(path) as store:
        for o in owners:
            await store.save_conversation(o)
        n = 0
        for m in range(args.mailboxes):
            for i in range(args.aliases):
                await store.create_address(replace(record(n, owners[n % args.channels]), address=alias(m, i),
                                                   mailbox=mailbox(m)))
                n += 1


def settings_for(folder: Path, args: argparse.Namespace, graph_url: str, port: int):
    from settings import load_settings

    pool = folder / "pool.json"
    pool.write_text(json.dumps({"mailboxes": [{"address": mailbox(m), "strategy": "alias", "capacity": 400}
                                              for m in range(args.mailboxes)]}))
    return load_settings({
        "ROOTMAIL_STORE": f"sqlite:///{folder / 'bench.db'}", "ROOTMAIL_PORT": str(port), "ROOTMAIL_MAIL_SOURCE": "graph",
        "ROOTMAIL_POOL_FILE": str(pool), "ROOTMAIL_GRAPH_BASE_URL": f"{graph_url}/v1.0",
        "ROOTMAIL_GRAPH_PUBLIC_URL": f"http://127.0.0.1:{port}", "ROOTMAIL_AUTHSERV_IDS": "exchange-online",
        "ROOTMAIL_TEAMS_APP_RPS": "0", "ROOTMAIL_DIGEST_THRESHOLD": "0", "ROOTMAIL_LOG_LEVEL": "WARNING",
        "ROOTMAIL_INSTANCE_ID": "bench-1", "ROOTMAIL_METRICS": "off", "ROOTMAIL_LOG_FORMAT": "json"})


class Driver:
    """The benchmark's side of the fakes: mail in, progress out. Polls are counts only, so the CPU they cost in this
    process stays far below a mail's."""

    def __init__(self, http: aiohttp.ClientSession, graph_url: str, args: argparse.Namespace):
        self.http, self.url, self.args, self.next = http, graph_url, args, 0

    async def get(self, path: str, **query: str) -> dict:
        async with self.http.get(self.url + path, params=query) as response:
            return await response.json()

    async def send(self, prefix: str, count: int, batch: int, interval: float) -> None:
        """Mail n goes to the next alias in turn (mailbox n % mailboxes): every alias, every channel."""
        m, a = self.args.mailboxes, self.args.aliases
        to = [[(n + self.next) % m, ((n + self.next) // m) % a] for n in range(count)]
        self.next += count
        async with self.http.post(self.url + "/_bench/mail", json={"prefix": prefix, "to": to, "batch": batch,
                                                                   "interval": interval}) as response:
            await response.read()

    async def until(self, check: Callable[[dict], bool]) -> dict:
        ends, found = time.monotonic() + self.args.deadline, {}
        while time.monotonic() < ends:
            found = await self.get("/_bench/progress")
            if check(found):
                return found
            await asyncio.sleep(0.05)
        raise TimeoutError(f"a phase took longer than --deadline {self.args.deadline:g} s (last seen: {found})")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def baseline(mails: list[dict], connector_url: str) -> float:
    """CPU seconds per mail of the least any implementation does for the same mails: parse the message JSON and its
    MIME headers with the standard library, send the same card once over one pooled session."""
    parser = HeaderParser(policy=policy.default)
    headers = {"Content-Type": "application/json; charset=utf-8", BASELINE: "1"}
    async with aiohttp.ClientSession() as http:
        async def post(mail: dict) -> None:
            async with http.post(f"{connector_url}/v3/conversations/{mail['conversation']}/activities",
                                 data=mail["card"].encode(), headers=headers) as response:
                await response.read()
        await post(mails[0])  # the pool holds a connection, as RootMail's session did by then
        started = time.process_time()
        for mail in mails:
            message = json.loads(mail["message"])
            mime = parser.parsestr("".join(f"{h['name']}: {h['value']}\r\n"
                                           for h in message.get("internetMessageHeaders") or []))
            for name in ("from", "to", "subject", "authentication-results"):
                str(mime[name])
            await post(mail)
        return (time.process_time() - started) / len(mails)


async def run(args: argparse.Namespace) -> dict:
    from app import create_app
    from tests.fakes.graph.server import StaticToken

    async with fakes(args) as (graph_url, connector_url), aiohttp.ClientSession() as http:
        folder = Path(tempfile.mkdtemp(prefix="bench-graph-"))
        port = free_port()
        settings = settings_for(folder, args, graph_url, port)
        await seed(folder / "bench.db", args, connector_url)
        runner = web.AppRunner(create_app(settings, graph_credential=StaticToken("fake-graph-token")), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        fake = Driver(http, graph_url, args)
        try:
            await fake.until(lambda p: p["subscriptions"] == args.mailboxes)
            progress("subscribed; warming up")
            await fake.send("warm", args.warm_mails, 1, 0.02)
            await fake.until(lambda p: p["posted"].get("warm", 0) >= args.warm_mails)
            progress("latency phase")
            await fake.send("lat", args.latency_mails, 1, args.interval)
            await fake.until(lambda p: p["posted"].get("lat", 0) >= args.latency_mails)
            # settled: every earlier mail marked read and moved, so the throughput phase measures its own mail only
            await fake.until(lambda p: p["moved"] >= args.warm_mails + args.latency_mails)
            progress("throughput phase")
            profile = cProfile.Profile() if args.profile else None
            if profile:
                profile.enable()
            cpu, wall = time.process_time(), time.perf_counter()
            await fake.send("tput", args.throughput_mails, 20, 0)
            await fake.until(lambda p: p["posted"].get("tput", 0) >= args.throughput_mails)
            posted_wall, posted_cpu = time.perf_counter() - wall, time.process_time() - cpu
            target = args.warm_mails + args.latency_mails + args.throughput_mails
            await fake.until(lambda p: p["moved"] >= target)
            moved_wall, moved_cpu = time.perf_counter() - wall, time.process_time() - cpu
            if profile:
                profile.disable()
                profile.dump_stats(args.profile)
            final = await fake.get("/_bench/results")
            progress("baseline")
            sample = (await fake.get("/_bench/sample", prefix="tput"))["mails"]
            base_cpu = await baseline(sample, connector_url)
        finally:
            await runner.cleanup()
    n = args.throughput_mails
    latencies, answers = final["latency_s"], final["notification_answers_s"]
    return {
        "mailboxes": args.mailboxes, "aliases": args.aliases, "channels": args.channels,
        "latency_ms": {"p50": ms(percentile(latencies, 50)), "p95": ms(percentile(latencies, 95)),
                       "max": ms(max(latencies)), "samples": len(latencies), "goal_p95": GOAL_LATENCY_P95_MS},
        "notification_answer_ms_p95": ms(percentile(answers, 95)),
        "throughput": {"mails": n, "posted_s": round(posted_wall, 3), "mails_per_s": round(n / posted_wall, 1),
                       "cpu_ms_per_mail": ms(posted_cpu / n, 3), "with_move_s": round(moved_wall, 3),
                       "with_move_cpu_ms_per_mail": ms(moved_cpu / n, 3)},
        "baseline": {"mails": len(sample), "cpu_ms_per_mail": ms(base_cpu, 3)},
        "cpu_ratio": ratio(posted_cpu / n, base_cpu), "cpu_ratio_with_move": ratio(moved_cpu / n, base_cpu),
        "goal_cpu_ratio": GOAL_CPU_RATIO,
        "duplicates": final["duplicates"], "graph_requests": final["requests"], "graph_429": final["throttled"],
        "max_in_flight_per_mailbox": final["max_in_flight"],
    }


def markdown(r: dict) -> str:
    t, lat = r["throughput"], r["latency_ms"]
    return table(
        ["mails", "latency p50 / p95 / max ms", "RootMail CPU ms / mail", "baseline CPU ms / mail", "ratio",
         "ratio incl. mark read + move", "mails/s (wall)", "duplicates", "Graph 429s"],
        [[t["mails"], f"{lat['p50']} / {lat['p95']} / {lat['max']}", t["cpu_ms_per_mail"],
          r["baseline"]["cpu_ms_per_mail"], times(r["cpu_ratio"]), times(r["cpu_ratio_with_move"]), t["mails_per_s"],
          r["duplicates"], r["graph_429"]]])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.graph", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mailboxes", type=int, default=5)
    parser.add_argument("--aliases", type=int, default=300)
    parser.add_argument("--channels", type=int, default=300)
    parser.add_argument("--warm-mails", type=int, default=50)
    parser.add_argument("--latency-mails", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between latency mails")
    parser.add_argument("--throughput-mails", type=int, default=1500)
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds any one phase may take")
    parser.add_argument("--profile", help="write a cProfile of the throughput phase to this file")
    add_format(parser)
    args = parser.parse_args()
    measure("graph", args, lambda a: asyncio.run(run(a)), markdown)


if __name__ == "__main__":
    main()
