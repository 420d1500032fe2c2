"""bench.graph's other process: the fake Graph (tests/fakes/graph, driven through its public API) and a Bot Connector
that notes when each mail's card arrived, so the CPU bench.graph measures in its own process is RootMail's alone.

    python -m bench.graph_fakes --mailboxes 5 --aliases 300   # prints {"graph": port, "connector": port}

Served next to the fake Graph: POST /_bench/mail (deliver and notify), GET /_bench/progress (counts only, cheap to
poll), GET /_bench/results (latencies and what the fake saw), GET /_bench/sample?prefix=tput (for the baseline: each
mail's message JSON exactly as Graph answered RootMail, and the card RootMail posted for it).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections import Counter

import aiohttp
from aiohttp import web

from tests.fakes.graph.server import FakeGraph

TOKEN = re.compile(r"\b(warm|lat|tput)n(\d+)z\b")
BASELINE = "X-Bench-Baseline"  # posts of the baseline: answered like any other, never counted as RootMail's
AWS_HEADERS = [  # as Exchange Online stamps mail from Amazon SES that passed its checks (tests/fakes/graph/harness.py)
    ("Authentication-Results", "spf=pass (sender IP is 54.240.1.2) smtp.mailfrom=amazonses.com; dkim=pass "
     "(signature was verified) header.d=signin.aws;dmarc=pass action=none header.from=signin.aws;compauth=pass")]


def mailbox(m: int) -> str:
    return f"aws-root-{m:02d}@example.com"


def alias(m: int, i: int) -> str:
    return f"aws-{m:02d}-{i:04d}@example.com"


class Fakes:
    def __init__(self, mailboxes: int, aliases: int):
        self.graph = FakeGraph()  # no clock given: the real one, as RootMail's
        self.mailboxes = [mailbox(m) for m in range(mailboxes)]
        for m, box in enumerate(self.mailboxes):
            self.graph.add_mailbox(box, [alias(m, i) for i in range(aliases)])
        self.sent: dict[str, float] = {}  # token -> when the notification carrying it went out
        self.posted: dict[str, float] = {}  # token -> when its card arrived
        self.cards: dict[str, tuple[str, str]] = {}  # token -> (conversation, the activity RootMail posted)
        self.messages: dict[str, str] = {}  # token -> Graph message id
        self.duplicates = 0

    def apps(self) -> tuple[web.Application, web.Application]:
        graph = self.graph.app()
        graph.router.add_post("/_bench/mail", self.mail)
        graph.router.add_get("/_bench/progress", self.progress)
        graph.router.add_get("/_bench/results", self.results)
        graph.router.add_get("/_bench/sample", self.sample)
        connector = web.Application()
        connector.router.add_post("/v3/conversations/{cid}/activities", self.activity)
        connector.router.add_post("/v3/conversations/{cid}/activities/{reply_to}", self.activity)
        return graph, connector

    async def activity(self, request: web.Request) -> web.Response:
        body = await request.text()
        found = TOKEN.search(body)
        if found and not request.headers.get(BASELINE):
            token = found[0]
            if token in self.posted:
                self.duplicates += 1
            self.posted.setdefault(token, time.perf_counter())
            self.cards.setdefault(token, (request.match_info["cid"], body))
        return web.json_response({"id": f"activity-{len(self.posted)}"})

    async def mail(self, request: web.Request) -> web.Response:
        """{"prefix", "to": [[mailbox index, alias index], ...], "batch", "interval"}: each batch delivered, then one
        change notification per mailbox carrying its messages (Graph folds notifications under load)."""
        body = await request.json()
        for start in range(0, len(body["to"]), body["batch"]):
            by_box: dict[str, list] = {}
            for n, (m, i) in enumerate(body["to"][start:start + body["batch"]], start):
                token = f"{body['prefix']}n{n}z"
                message = self.graph.deliver(mailbox(m), to=[alias(m, i)], sender="no-reply@signin.aws",
                                             subject=f"Your AWS invoice is available {token}",
                                             sender_name="Amazon Web Services", headers=AWS_HEADERS,
                                             body=f"<p>Your AWS billing statement is available. {token}</p>")
                self.messages[token] = message.id
                by_box.setdefault(mailbox(m), []).append((token, message))
            for box, items in by_box.items():
                now = time.perf_counter()
                self.sent.update((token, now) for token, _ in items)
                await self.graph.notify([message for _, message in items], box)
            if body["interval"]:
                await asyncio.sleep(body["interval"])
        return web.json_response({"delivered": len(body["to"])})

    def moved(self) -> int:
        boxes = [self.graph.mailbox(box) for box in self.mailboxes]
        return sum(1 for b in boxes for message in b.messages.values() if message.folder != b.inbox)

    async def progress(self, request: web.Request) -> web.Response:
        return web.json_response({"subscriptions": len(self.graph.subscriptions), "moved": self.moved(),
                                  "posted": Counter(TOKEN.match(t)[1] for t in self.posted)})

    async def results(self, request: web.Request) -> web.Response:
        graph = self.graph
        return web.json_response({
            "latency_s": [self.posted[t] - self.sent[t] for t in self.sent if t.startswith("lat") and t in self.posted],
            "duplicates": self.duplicates, "requests": len(graph.requests), "max_in_flight": graph.max_in_flight,
            "throttled": sum(1 for r in graph.requests if r.status == 429),
            "notification_answers_s": [seconds for _, seconds in graph.notification_answers]})

    async def sample(self, request: web.Request) -> web.Response:
        """The message JSON each mail's fetch was answered with (the recorded request asked again, with its query and
        headers), and the card posted for it."""
        prefix = request.query["prefix"]
        fetches = {r.path.rsplit("/", 1)[-1]: r for r in self.graph.made("GET", "/messages/") if r.status == 200}
        found = []
        async with aiohttp.ClientSession() as http:
            for token, (conversation, card) in self.cards.items():
                fetch = fetches.get(self.messages.get(token, "")) if token.startswith(prefix) else None
                if fetch is None:
                    continue
                headers = {k: v for k, v in fetch.headers.items() if k in ("authorization", "prefer")}
                async with http.get(f"{self.graph.url}{fetch.path}", params=fetch.query, headers=headers) as answer:
                    found.append({"message": await answer.text(), "conversation": conversation, "card": card})
        return web.json_response({"mails": found})


async def serve(mailboxes: int, aliases: int) -> None:
    fakes = Fakes(mailboxes, aliases)
    runners, ports = [], []
    for app in fakes.apps():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        ports.append(runner.addresses[0][1])
    fakes.graph.url = f"http://127.0.0.1:{ports[0]}"
    print(json.dumps({"graph": ports[0], "connector": ports[1]}), flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the parent closes our stdin
    for runner in runners:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, required=True)
    parser.add_argument("--aliases", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.mailboxes, args.aliases))


if __name__ == "__main__":
    main()
