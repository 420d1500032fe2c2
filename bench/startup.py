"""Start-up benchmark: how soon a real `python app.py` serves /healthz and answers `help` while its whole cloud is
unreachable (Cosmos DB, Graph, Entra ID, the API metadata and AWS on closed loopback ports), against a baseline
measured in the same run: a bare aiohttp process that serves /healthz.

    .venv/bin/python -m bench.startup [--runs 5]

Prints a Markdown table (or, with --format json, everything measured): median seconds from spawn, and each as a
multiple of the baseline. Goal: /healthz within 2 s of process start whatever the cloud does.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.report import add_format, measure, ratio, table, times
from tests.fakes import teams
from tests.fakes.connector import FakeConnector
from tests.integration.cloudless import RootMailProcess, closed_port, unreachable_cloud

BARE = ("import sys\nfrom aiohttp import web\napp = web.Application()\n"
        "app.router.add_get('/healthz', lambda request: web.json_response({'status': 'alive'}))\n"
        "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n")


async def _until_healthz(http: aiohttp.ClientSession, url: str, process: subprocess.Popen, started: float) -> float:
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the process exited with {process.returncode} before serving {url}")
        try:
            async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass
        if time.monotonic() - started > 120:
            raise RuntimeError(f"{url} did not answer within 120 s")
        await asyncio.sleep(0.01)


async def bare(http: aiohttp.ClientSession) -> float:
    port = closed_port()
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", BARE, str(port)])
    try:
        return await _until_healthz(http, f"http://127.0.0.1:{port}/healthz", process, started)
    finally:
        process.terminate()
        process.wait(timeout=30)


async def rootmail(http: aiohttp.ClientSession, connector: FakeConnector, store: str) -> tuple[float, float]:
    """(seconds to /healthz, seconds to the help card) for one start with the cloud unreachable."""
    with tempfile.TemporaryDirectory() as folder:
        env = unreachable_cloud(Path(folder))
        if store == "sqlite":
            env["ROOTMAIL_STORE"] = f"sqlite:///{folder}/rootmail.db"
        process = RootMailProcess(env, Path(folder) / "rootmail.log")
        process.start()
        try:
            healthz = await _until_healthz(http, process.url("/healthz"), process.process, process.started)
            before = len(connector.sent)
            activity = teams.message("help", teams.PERSONAL, connector.url)
            async with http.post(process.url("/api/messages"), json=activity) as response:
                response.raise_for_status()
            await connector.wait_for(before + 1, timeout=120)
            return healthz, time.monotonic() - process.started
        finally:
            process.terminate()


async def run(args: argparse.Namespace) -> dict:
    connector = FakeConnector()
    runner = web.AppRunner(connector.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    connector.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as http:
            base = [await bare(http) for _ in range(args.runs)]
            samples = {store: [await rootmail(http, connector, store) for _ in range(args.runs)]
                       for store in ("cosmos", "sqlite")}
    finally:
        await runner.cleanup()
    baseline = statistics.median(base)
    rows = []
    for store, measured in samples.items():
        healthz, help_card = statistics.median(s[0] for s in measured), statistics.median(s[1] for s in measured)
        rows.append({"store": store, "healthz_s": round(healthz, 3), "help_s": round(help_card, 3),
                     "healthz_ratio": ratio(healthz, baseline), "help_ratio": ratio(help_card, baseline)})
    return {"runs": args.runs, "baseline_s": round(baseline, 3), "rows": rows}


LABELS = {"cosmos": "Cosmos DB, Graph, Entra ID, AWS unreachable", "sqlite": "SQLite; Graph, Entra ID, AWS unreachable"}


def markdown(r: dict) -> str:
    lines = [["bare aiohttp process: /healthz (baseline)", f"{r['baseline_s']:.2f}", times(1.0)]]
    for row in r["rows"]:
        lines.append([f"RootMail ({LABELS[row['store']]}): /healthz", f"{row['healthz_s']:.2f}",
                      times(row["healthz_ratio"])])
        lines.append([f"RootMail ({LABELS[row['store']]}): `help` answered", f"{row['help_s']:.2f}",
                      times(row["help_ratio"])])
    return table([f"start with the cloud unreachable ({r['runs']} runs, median)", "seconds from spawn",
                  "× bare aiohttp"], lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    add_format(parser)
    args = parser.parse_args()
    measure("startup", args, lambda a: asyncio.run(run(a)), markdown)


if __name__ == "__main__":
    main()
