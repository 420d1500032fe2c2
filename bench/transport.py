"""Graph transport benchmark: CPU per JSON batch request through RootMail's Graph client (msgraph-sdk's request adapter:
kiota's middleware on httpx) as a multiple of one aiohttp POST of the very same batch to the same fake Graph.

    .venv/bin/python -m bench.transport [--requests 300] [--format json]

The batch is what the Graph source sends when a notification names four messages: four GETs of a message with the
fields RootMail reads (mail.graph.api.GraphMail.messages). The fake Graph runs in a child process (bench/graph_fakes.py),
so the CPU measured here is the client's alone; both clients parse the answer with json.loads. This is where most of
the Graph path's CPU goes (BENCHMARKS.md, Graph mail source).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import quote

import aiohttp

from bench.graph import fakes
from bench.graph_fakes import mailbox
from bench.report import add_format, measure, ratio, table, times


async def run(args: argparse.Namespace) -> dict:
    from mail.graph.api import MESSAGE_FIELDS, PREFER, GraphMail
    from mail.graph.client import open_graph_client
    from mail.graph.mailboxes import Resolved, resolve
    from tests.fakes.graph.server import StaticToken

    token = StaticToken()
    async with fakes(argparse.Namespace(mailboxes=1, aliases=4)) as (graph_url, _), aiohttp.ClientSession() as http:
        async with http.post(f"{graph_url}/_bench/mail", json={"prefix": "warm", "to": [[0, i] for i in range(4)],
                                                               "batch": 4, "interval": 0}) as response:
            await response.read()
        async with open_graph_client(token, f"{graph_url}/v1.0", 10) as client:
            graph = GraphMail(client)
            found = await resolve(client, mailbox(0))  # as start-up does: requests name the mailbox's object id
            assert isinstance(found, Resolved), found
            graph.user_ids[mailbox(0)] = found.object_id
            ids = [m["id"] for m in (await graph.delta_page(mailbox(0), None, None)).messages][:4]
            steps = [{"id": str(n), "method": "GET", "headers": {"Prefer": ", ".join(PREFER)},
                      "url": f"/users/{found.object_id}/messages/{quote(i, safe='')}?$select="
                             + ",".join(MESSAGE_FIELDS)} for n, i in enumerate(ids)]
            headers = {"Authorization": f"Bearer {token.token}", "Content-Type": "application/json",
                       "Accept": "application/json"}

            async def sdk() -> int:
                return sum(1 for m in (await graph.messages(mailbox(0), ids)).values() if m)

            async def bare() -> int:
                async with http.post(f"{graph_url}/v1.0/$batch", data=json.dumps({"requests": steps}).encode(),
                                     headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as answer:
                    return sum(1 for r in json.loads(await answer.read())["responses"] if r["status"] == 200)
            ours = theirs = 0.0
            for n in range(args.requests + 5):  # interleaved; the first five warm both up
                started = time.process_time()
                assert await sdk() == 4
                mine = time.process_time() - started
                started = time.process_time()
                assert await bare() == 4
                if n >= 5:
                    ours, theirs = ours + mine, theirs + time.process_time() - started
    return {"requests": args.requests, "messages_per_batch": 4, "sdk_cpu_ms": round(ours / args.requests * 1000, 3),
            "aiohttp_cpu_ms": round(theirs / args.requests * 1000, 3), "ratio": ratio(ours, theirs)}


def markdown(r: dict) -> str:
    return table(["batch request (4 messages)", "RootMail's Graph client CPU ms", "aiohttp CPU ms", "ratio"],
                 [[f"mean of {r['requests']}", r["sdk_cpu_ms"], r["aiohttp_cpu_ms"], times(r["ratio"])]])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.transport", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    add_format(parser)
    args = parser.parse_args()
    measure("transport", args, lambda a: asyncio.run(run(a)), markdown)


if __name__ == "__main__":
    main()
