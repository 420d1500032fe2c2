"""Graph mail source benchmark: change-notification-to-channel-post latency (p50/p95) and mails per second per core
through notification -> fetch -> parse -> route -> ingest -> card -> post (-> mark read and move), on loopback.

    .venv/bin/python -m bench.graph [--mailboxes 5 --aliases 300 --channels 300 --latency-mails 300
                                           --throughput-mails 1500]

RootMail runs in this process exactly as in production with ROOTMAIL_MAIL_SOURCE=graph (SQLite store, its Bot
Framework poster, its inspector); the fake Graph (tests/fakes/graph/server.py) and a recording Bot Connector run in a child
process, so the CPU seconds measured here are RootMail's own. Latency is timed in the child: from the moment the fake
Graph posts a change notification until the Bot Connector receives the card. Teams' posting limits stay on per
conversation; mail is spread over many channels and the app-wide cap is lifted, so the pipeline itself is measured.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import AsyncIterator

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r"\b(warm|lat|tput)n(\d+)z\b")
AWS_HEADERS = [
    ("Authentication-Results", "spf=pass (sender IP is 54.240.1.2) smtp.mailfrom=amazonses.com; dkim=pass "
     "(signature was verified) header.d=signin.aws;dmarc=pass action=none header.from=signin.aws;compauth=pass")]


def mailbox(m: int) -> str:
    return f"aws-root-{m:02d}@example.com"


def alias(m: int, i: int) -> str:
    return f"aws-{m:02d}-{i:04d}@example.com"


# --- the child process: fake Graph + recording Bot Connector ---------------------------------------------------
async def serve_fakes(mailboxes: int, aliases: int) -> None:
    from tests.fakes.graph.server import FakeGraph

    graph = FakeGraph()
    for m in range(mailboxes):
        graph.add_mailbox(mailbox(m), [alias(m, i) for i in range(aliases)])
    sent: dict[str, float] = {}
    posted: dict[str, float] = {}
    duplicates = 0

    async def activity(request: web.Request) -> web.Response:
        nonlocal duplicates
        found = TOKEN.search(await request.text())
        if found:
            if found[0] in posted:
                duplicates += 1
            posted.setdefault(found[0], time.perf_counter())
        return web.json_response({"id": f"activity-{len(posted)}"})

    async def mail(request: web.Request) -> web.Response:
        """{"prefix", "to": [[mailbox index, alias index], ...], "batch", "interval"}: deliver and notify."""
        body = await request.json()
        for start in range(0, len(body["to"]), body["batch"]):
            chunk = body["to"][start:start + body["batch"]]
            by_box: dict[int, list] = {}
            for n, (m, i) in enumerate(chunk, start):
                token = f"{body['prefix']}n{n}z"
                message = graph.deliver(mailbox(m), to=[alias(m, i)], subject=f"Your AWS invoice is available {token}",
                                        sender="no-reply@signin.aws", sender_name="Amazon Web Services",
                                        body=f"<p>Your AWS billing statement is available. {token}</p>",
                                        headers=AWS_HEADERS)
                by_box.setdefault(m, []).append((token, message))
            for m, items in by_box.items():
                await notify(mailbox(m), items)
            if body["interval"]:
                await asyncio.sleep(body["interval"])
        return web.json_response({"delivered": len(body["to"])})

    async def notify(box: str, items: list) -> None:
        for sub in graph._live(graph.mailbox(box)):
            values = [{"subscriptionId": sub.id, "changeType": "created", "clientState": sub.body["clientState"],
                       "tenantId": graph.tenant_id, "resource": f"Users/x/Messages/{message.id}",
                       "resourceData": {"@odata.type": "#Microsoft.Graph.Message", "id": message.id}}
                      for _, message in items]
            for token, _ in items:
                sent[token] = time.perf_counter()
            await graph._post(sub.body["notificationUrl"], {"value": values})

    async def results(request: web.Request) -> web.Response:
        moved = sum(1 for b in graph.state.mailboxes for msg in b.messages.values() if msg.folder != b.inbox)
        return web.json_response({
            "sent": sent, "posted": posted, "duplicates": duplicates, "subscriptions": len(graph.subscriptions),
            "moved": moved, "requests": len(graph.requests), "max_in_flight": graph.max_in_flight,
            "throttled": sum(1 for r in graph.requests if r.status == 429),
            "notification_answers": [seconds for _, seconds in graph.notification_answers]})

    graph_app = graph.app()
    graph_app.router.add_post("/_bench/mail", mail)
    graph_app.router.add_get("/_bench/results", results)
    connector = web.Application()
    connector.router.add_post("/v3/conversations/{cid}/activities", activity)
    connector.router.add_post("/v3/conversations/{cid}/activities/{reply_to}", activity)
    ports = []
    for app in (graph_app, connector):
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports.append(runner.addresses[0][1])
    graph.url = f"http://127.0.0.1:{ports[0]}"
    print(json.dumps({"graph": ports[0], "connector": ports[1]}), flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the parent closes our stdin


@asynccontextmanager
async def fakes(args: argparse.Namespace) -> AsyncIterator[tuple[str, str]]:
    process = subprocess.Popen([sys.executable, "-m", "bench.graph", "--serve-fakes", "--mailboxes",
                                str(args.mailboxes), "--aliases", str(args.aliases)],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ports = json.loads(await asyncio.to_thread(process.stdout.readline))
        yield f"http://127.0.0.1:{ports['graph']}", f"http://127.0.0.1:{ports['connector']}"
    finally:
        process.stdin.close()
        process.wait(timeout=10)


# --- the parent: RootMail -------------------------------------------------------------------------------------
async def seed(path: Path, args: argparse.Namespace, service_url: str) -> None:
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


async def call(http: aiohttp.ClientSession, url: str, body: dict | None = None) -> dict:
    request = http.post(url, json=body) if body is not None else http.get(url)
    async with request as response:
        return await response.json()


async def wait_for(http: aiohttp.ClientSession, graph_url: str, check, deadline: float = 120.0) -> dict:
    ends = time.monotonic() + deadline
    while time.monotonic() < ends:
        found = await call(http, graph_url + "/_bench/results")
        if check(found):
            return found
        await asyncio.sleep(0.05)
    raise TimeoutError("the benchmark did not finish in time")


def spread(count: int, args: argparse.Namespace, offset: int) -> list[list[int]]:
    """Mail n goes to alias (n + offset) of mailbox n % mailboxes: every alias, every channel, in turn."""
    return [[(n + offset) % args.mailboxes, ((n + offset) // args.mailboxes) % args.aliases] for n in range(count)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


async def run(args: argparse.Namespace) -> dict:
    import core.delivery.forwarding
    from app import create_app
    from tests.fakes.graph.server import StaticToken

    if args.claim_pause is not None:
        core.delivery.forwarding.CLAIM_PAUSE = args.claim_pause

    async with fakes(args) as (graph_url, connector_url), aiohttp.ClientSession() as http:
        folder = Path(tempfile.mkdtemp(prefix="bench-graph-"))
        port = free_port()
        settings = settings_for(folder, args, graph_url, port)
        await seed(folder / "bench.db", args, connector_url)
        runner = web.AppRunner(create_app(settings, graph_credential=StaticToken("fake-graph-token")), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            await wait_for(http, graph_url, lambda r: r["subscriptions"] == args.mailboxes)
            await call(http, graph_url + "/_bench/mail", {"prefix": "warm", "to": spread(50, args, 0), "batch": 1,
                                                          "interval": 0.02})
            await wait_for(http, graph_url, lambda r: len(r["posted"]) >= 50)
            await call(http, graph_url + "/_bench/mail", {"prefix": "lat", "to": spread(args.latency_mails, args, 50),
                                                          "batch": 1, "interval": args.interval})
            lat = await wait_for(http, graph_url, lambda r: sum(k.startswith("lat") for k in r["posted"])
                                 >= args.latency_mails)
            latencies = [lat["posted"][k] - lat["sent"][k] for k in lat["sent"] if k.startswith("lat")]
            moved_before = lat["moved"]
            profile = cProfile.Profile() if args.profile else None
            if profile:
                profile.enable()
            cpu, wall = time.process_time(), time.perf_counter()
            offset = 50 + args.latency_mails
            await call(http, graph_url + "/_bench/mail", {"prefix": "tput", "to": spread(args.throughput_mails, args,
                                                                                            offset),
                                                          "batch": 20, "interval": 0})
            await wait_for(http, graph_url, lambda r: sum(k.startswith("tput") for k in r["posted"])
                           >= args.throughput_mails)
            posted_wall, posted_cpu = time.perf_counter() - wall, time.process_time() - cpu
            final = await wait_for(http, graph_url, lambda r: r["moved"] >= moved_before + args.throughput_mails)
            moved_wall, moved_cpu = time.perf_counter() - wall, time.process_time() - cpu
            if profile:
                profile.disable()
                profile.dump_stats(args.profile)
        finally:
            await runner.cleanup()
    n = args.throughput_mails
    return {
        "claim_pause_s": core.delivery.forwarding.CLAIM_PAUSE,
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
                       "max": max(latencies) * 1000, "samples": len(latencies)},
        "notification_answer_ms_p95": percentile(final["notification_answers"], 95),
        "throughput": {"mails": n, "posted_s": posted_wall, "posted_cpu_s": posted_cpu,
                       "mails_per_s": n / posted_wall, "mails_per_cpu_s": n / posted_cpu,
                       "with_move_s": moved_wall, "with_move_cpu_s": moved_cpu, "with_move_per_cpu_s": n / moved_cpu},
        "duplicates": final["duplicates"], "graph_requests": final["requests"], "graph_429": final["throttled"],
        "max_in_flight_per_mailbox": final["max_in_flight"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve-fakes", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mailboxes", type=int, default=5)
    parser.add_argument("--aliases", type=int, default=300)
    parser.add_argument("--channels", type=int, default=300)
    parser.add_argument("--latency-mails", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between latency mails")
    parser.add_argument("--throughput-mails", type=int, default=1500)
    parser.add_argument("--profile", help="write a cProfile of the throughput phase to this file")
    parser.add_argument("--claim-pause", type=float, default=None,
                        help="experiment: override core.delivery.forwarding.CLAIM_PAUSE (the most the forwarder waits "
                             "between claims while a stream of mail keeps arriving)")
    args = parser.parse_args()
    if args.serve_fakes:
        asyncio.run(serve_fakes(args.mailboxes, args.aliases))
        return
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
