"""What every benchmark prints besides its figures: the machine, its load before and after, the exact command; ratios
and percentiles; one JSON document (for tests and tools) or Markdown (for BENCHMARKS.md)."""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import sqlite3
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

Markdown = Callable[[dict[str, Any]], str]


def machine() -> dict[str, Any]:
    """`nproc` (the CPUs this process may use) and the CPU model: absolute figures only compare on the same kind."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
                 platform.processor() or "unknown")
    return {"nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu": model, "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}


def load() -> list[float]:
    """1, 5 and 15 minute load averages: other work on a shared box moves absolute figures, less so ratios."""
    return [round(value, 2) for value in os.getloadavg()]


def ratio(ours: float, baseline: float) -> float | None:
    """RootMail's figure as a multiple of the baseline's; None when the baseline measured nothing."""
    return round(ours / baseline, 2) if baseline > 0 and math.isfinite(ours) else None


def percentile(samples: list[float], p: int) -> float:
    """The p-th percentile (inclusive method), in the samples' unit."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def ms(seconds: float | None, digits: int = 2) -> float | None:
    return None if seconds is None else round(seconds * 1000, digits)


def times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def table(columns: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; the first column left-aligned, the others right-aligned."""
    lines = ["| " + " | ".join(columns) + " |", "|---|" + "---:|" * (len(columns) - 1)]
    lines += ["| " + " | ".join("–" if cell is None else str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown",
                        help="markdown: the tables for BENCHMARKS.md; json: everything measured, for tools and tests")


def measure(name: str, args: argparse.Namespace, run: Callable[[argparse.Namespace], dict[str, Any]],
            markdown: Markdown) -> None:
    """Note the load, run the benchmark, print its report."""
    before = load()
    emit(name, args.format, before, run(args), markdown)


def emit(name: str, fmt: str, load_before: list[float], results: dict[str, Any], markdown: Markdown) -> None:
    """Print the run: the figures with the machine, the load before and after, and the command that made them."""
    document = {"benchmark": name, "command": command(), "machine": machine(), "load_before": load_before,
                "load_after": load(), "results": results}
    if fmt == "json":
        print(json.dumps(document, allow_nan=False))
        return
    m = document["machine"]
    print(f"`{document['command']}`\n\nMachine: nproc {m['nproc']}, {m['cpu']}, Python {m['python']}, "
          f"SQLite {m['sqlite']}; load average (1/5/15 min) {' / '.join(map(str, load_before))} before, "
          f"{' / '.join(map(str, document['load_after']))} after.\n")
    print(markdown(results))


def command() -> str:
    module = Path(sys.argv[0]).resolve()
    root = Path(__file__).resolve().parent.parent
    name = ".".join(module.relative_to(root).with_suffix("").parts) if module.is_relative_to(root) else sys.argv[0]
    return shlex.join([".venv/bin/python", "-m", name, *sys.argv[1:]])


def progress(message: str) -> None:
    """Progress goes to stderr: stdout is the report."""
    print(message, file=sys.stderr, flush=True)
