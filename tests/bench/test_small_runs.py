"""Every benchmark, run small exactly as BENCHMARKS.md runs it big (`python -m bench.<name>`): it completes and prints
well-formed results, its own figures next to a baseline from the same run. Nothing here judges speed: performance is
read from the full runs in BENCHMARKS.md, never from a timed test."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from bench import burst, graph, inspection, startup, store, transport
from tests.cosmos_server import unavailable_reason
from tests.paths import ROOT

cosmos = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))


def run(module: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", module, *args, "--format", "json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(done.stdout)
    assert document["benchmark"] == module.split(".")[1]
    assert document["command"].startswith(f".venv/bin/python -m {module} ")
    assert document["machine"]["nproc"] >= 1 and document["machine"]["cpu"]
    assert len(document["load_before"]) == len(document["load_after"]) == 3
    return document["results"]


def a_multiple(value) -> bool:
    """A ratio to a same-run baseline: a positive, finite number."""
    return isinstance(value, (int, float)) and value > 0 and math.isfinite(value)


def well_formed(markdown: str) -> None:
    """A Markdown table (or several): a header, its rule, and rows of the same width; no empty cell."""
    for block in markdown.split("\n\n"):
        lines = block.splitlines()
        widths = {line.count("|") for line in lines}
        assert len(lines) >= 3 and len(widths) == 1 and lines[1].startswith("|---"), block
        assert all("|  |" not in line for line in lines), block


def test_the_graph_benchmark_runs_small():
    r = run("bench.graph", "--mailboxes", "2", "--aliases", "10", "--channels", "5", "--warm-mails", "4",
            "--latency-mails", "8", "--interval", "0.01", "--throughput-mails", "40", "--deadline", "60")
    assert r["latency_ms"]["samples"] == 8 and r["latency_ms"]["p50"] <= r["latency_ms"]["p95"] <= r["latency_ms"]["max"]
    assert r["baseline"]["mails"] == r["throughput"]["mails"] == 40
    assert a_multiple(r["cpu_ratio"]) and a_multiple(r["cpu_ratio_with_move"])
    assert r["duplicates"] == 0 and r["graph_requests"] > 40
    well_formed(graph.markdown(r))


def check_store(results: dict, kind: str, sizes: list[int]) -> None:
    rows = results["rows"]
    assert [(row["store"], row["size"]) for row in rows] == [(kind, size) for size in sizes]
    for row in rows:
        for measured in ("allocate", "address", "account id", "request id"):
            assert a_multiple(row[measured]["ratio"]), (measured, row)
            assert row[measured]["ms"]["p50"] <= row[measured]["ms"]["p99"]
    well_formed(store.markdown(results))


def test_the_store_benchmark_runs_small_on_sqlite():
    results = run("bench.store", "--stores", "sqlite", "--sizes", "300,1000", "--ops", "40", "--mailboxes", "3",
                  "--aliases", "30")
    check_store(results, "sqlite", [300, 1000])


@cosmos
@pytest.mark.cosmos
def test_the_store_benchmark_runs_small_on_cosmos():
    results = run("bench.store", "--stores", "cosmos", "--sizes", "300", "--ops", "30", "--mailboxes", "2",
                  "--aliases", "30")
    check_store(results, "cosmos", [300])
    assert results["rows"][0]["requests"] == {"allocate": 3.0, "allocate with account id": 4.0, "address": 1.0,
                                              "account id": 2.0, "request id": 2.0}


def check_burst(r: dict, mails: int) -> None:
    assert r["mails"] == mails and r["lost"] == 0 and r["duplicates"] == 0 and r["pending"] == 0 and r["posts"] >= 1
    assert r["last_visible_s"] is not None and r["minimum_same_posts_s"] >= 0
    assert a_multiple(r["ingest"]["ratio"]) and r["ingest"]["mails"] == 20
    assert r["app_py_first_start_s"] > 0 and r["app_py_restart_s"] > 0 and r["peak_rss_mb"] > 0
    well_formed(burst.markdown(r))


@pytest.mark.parametrize("digests", ["on", "off"])
def test_the_burst_benchmark_runs_small_on_sqlite(digests):
    r = run("bench.burst", "--store", "sqlite", "--digests", digests, "--mails", "60", "--channels", "4",
            "--addresses", "300", "--mailboxes", "2", "--aliases", "20", "--ingest", "20", "--latency", "0.01")
    check_burst(r, 60)


@cosmos
@pytest.mark.cosmos
def test_the_burst_benchmark_runs_small_on_cosmos():
    r = run("bench.burst", "--store", "cosmos", "--digests", "on", "--mails", "40", "--channels", "4",
            "--addresses", "100", "--mailboxes", "2", "--aliases", "10", "--ingest", "20", "--latency", "0.01")
    check_burst(r, 40)


def test_the_inspection_benchmark_runs_small():
    r = run("bench.inspection", "--rounds", "2", "--ingest", "20")
    assert r["corpus_mails"] > 10
    assert all(a_multiple(r[k]["ratio"]) for k in ("parse_us", "inspect_seal_us", "big_mail_ms", "ingest"))
    well_formed(inspection.markdown(r))


def test_the_transport_benchmark_runs_small():
    r = run("bench.transport", "--requests", "5")
    assert r["requests"] == 5 and a_multiple(r["ratio"]) and r["sdk_cpu_ms"] > 0 and r["aiohttp_cpu_ms"] > 0
    assert r["rootmail_cpu_ms"] > 0 and a_multiple(r["sdk_ratio"])
    well_formed(transport.markdown(r))


def test_the_startup_benchmark_runs_small():
    r = run("bench.startup", "--runs", "1")
    assert r["runs"] == 1 and r["baseline_s"] > 0
    assert [row["store"] for row in r["rows"]] == ["cosmos", "sqlite"]
    for row in r["rows"]:
        assert 0 < row["healthz_s"] <= row["help_s"]
        assert a_multiple(row["healthz_ratio"]) and a_multiple(row["help_ratio"])
    well_formed(startup.markdown(r))


def test_every_benchmark_has_a_small_run_here():
    """A benchmark added without a small run here would rot unnoticed, as bench_graph did."""
    runnable = {path.stem for path in (ROOT / "bench").glob("*.py")
                if "\nif __name__ == \"__main__\":" in path.read_text()} - {"graph_fakes"}  # bench.graph's child
    here = (ROOT / "tests" / "bench" / "test_small_runs.py").read_text()
    assert runnable and {name for name in runnable if f'run("bench.{name}"' not in here} == set()
