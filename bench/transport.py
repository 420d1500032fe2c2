"""Graph transport benchmark: CPU per JSON batch request through RootMail's Graph client (GraphMail.messages: the
client's gate and retries, its aiohttp batch transport) and through msgraph-sdk's request adapter (kiota's middleware
on httpx: how RootMail sent its batches before), each as a multiple of one bare aiohttp POST of the very same batch
to the same fake Graph.

    .venv/bin/python -m bench.transport [--requests 300] [--format json]

The batch is what the Graph source sends when a notification names four messages: four GETs of a message with the
fields RootMail reads (mail.graph.api.GraphMail.messages). The fake Graph runs in a child process (bench/graph_fakes.py),
so the CPU measured here is the client's alone; all three parse the answer with json.loads. The three are interleaved
request by request, so load on the box touches them alike (BENCHMARKS.md, Graph mail source).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import quote

import aiohttp
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation

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

            async def ours() -> int:
                return sum(1 for m in (await graph.messages(mailbox(0), ids)).values() if m)

            async def sdk() -> int:  # the same batch through msgraph-sdk's request adapter, as before aiohttp
                def request() -> RequestInformation:
                    info = RequestInformation(Method.POST, "{+baseurl}/$batch", {})
                    info.set_stream_content(json.dumps({"requests": steps}).encode(), "application/json")
                    info.headers.try_add("Accept", "application/json")
                    return info
                answer = await client.json(mailbox(0), "fetching messages", request)
                return sum(1 for r in answer["responses"] if r["status"] == 200)

            async def bare() -> int:
                async with http.post(f"{graph_url}/v1.0/$batch", data=json.dumps({"requests": steps}).encode(),
                                     headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as answer:
                    return sum(1 for r in json.loads(await answer.read())["responses"] if r["status"] == 200)
            spent = {"ours": 0.0, "sdk": 0.0, "bare": 0.0}
            for n in range(args.requests + 5):  # interleaved; the first five warm all three up
                for name, send in (("ours", ours), ("sdk", sdk), ("bare", bare)):
                    started = time.process_time()
                    assert await send() == 4
                    if n >= 5:
                        spent[name] += time.process_time() - started
    per = {name: round(cpu / args.requests * 1000, 3) for name, cpu in spent.items()}
    return {"requests": args.requests, "messages_per_batch": 4, "rootmail_cpu_ms": per["ours"],
            "sdk_cpu_ms": per["sdk"], "aiohttp_cpu_ms": per["bare"], "ratio": ratio(spent["ours"], spent["bare"]),
            "sdk_ratio": ratio(spent["sdk"], spent["bare"])}


def markdown(r: dict) -> str:
    return table(["batch request (4 messages)", "RootMail's Graph client CPU ms", "msgraph-sdk adapter CPU ms",
                  "bare aiohttp POST CPU ms", "ratio", "msgraph-sdk ratio"],
                 [[f"mean of {r['requests']}", r["rootmail_cpu_ms"], r["sdk_cpu_ms"], r["aiohttp_cpu_ms"],
                   times(r["ratio"]), times(r["sdk_ratio"])]])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.transport", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    add_format(parser)
    args = parser.parse_args()
    measure("transport", args, lambda a: asyncio.run(run(a)), markdown)


if __name__ == "__main__":
    main()
