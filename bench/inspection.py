"""Inspection benchmark: parsing, inspecting and ingesting the mail corpus, each as a multiple of the standard library
doing the least for the same bytes (bench/ingest.py: email's modern parser, headers and body text; one bare insert).

    .venv/bin/python -m bench.inspection [--rounds 200 --ingest 2000] [--format json]

Uses the mails in tests/mails (the AWS corpus and tests/mails/trust, the spoofing cases) and a 10 MB mail. CPU is
process time; per-mail figures are medians over --rounds rounds of the corpus, RootMail and the baseline interleaved.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from bench.ingest import WARM_UP, stdlib_parse, versus_bare
from bench.report import add_format, measure, ratio, table, times
from core.intake.inspection import Inspector, secret_context
from core.intake.sender_trust import EXCHANGE_ONLINE, TrustPolicy
from crypto.box import AesGcmBox
from mail.mime import parse_message
from storage.sqlite import open_sqlite
from tests.paths import MAILS


def inspector() -> Inspector:
    return Inspector(TrustPolicy(("mx.rootmail.example", EXCHANGE_ONLINE)), AesGcmBox([bytes(32)]),
                     timedelta(minutes=15))


def cpu_us(step: Callable[[], object]) -> float:
    started = time.process_time()
    step()
    return (time.process_time() - started) * 1e6


def medians(raws: list[bytes], rounds: int, ours: Callable, theirs: Callable) -> tuple[float, float]:
    """Median CPU microseconds per mail of both, each mail timed by both one right after the other."""
    mine, base = [], []
    for _ in range(rounds):
        for raw in raws:
            mine.append(cpu_us(lambda: ours(raw)))
            base.append(cpu_us(lambda: theirs(raw)))
    return statistics.median(mine), statistics.median(base)


def big_mail() -> bytes:
    filler = ("AWS " * 20 + "\r\n") * (10 * 1024 * 1024 // 82)
    return ("Authentication-Results: mx.rootmail.example; dkim=pass header.d=signin.aws; dmarc=pass "
            "header.from=signin.aws\r\nFrom: Amazon Web Services <no-reply@signin.aws>\r\nSubject: AWS Notification - "
            f"Email Verification\r\nMessage-ID: <big@bench>\r\n\r\nVerification code: 613470\r\n{filler}").encode()


async def ingest_ratio(raws: list[bytes], count: int) -> dict:
    """The corpus into a fresh SQLite store through core.intake.ingest, against a stdlib parse + a bare insert."""
    stamp = datetime.now(timezone.utc)
    mails = [(f"Message-ID: <bench-{n}@rootmail.invalid>\r\n".encode() + raws[n % len(raws)], "aws-0001@example.com")
             for n in range(count + WARM_UP)]  # each its own mail: the first Message-ID counts
    with tempfile.TemporaryDirectory() as folder:
        async with open_sqlite(Path(folder) / "bench.db") as store:
            return await versus_bare(store, lambda: stamp, inspector(), mails)


def run(args: argparse.Namespace) -> dict:
    raws = [p.read_bytes() for p in sorted(MAILS.glob("*.eml")) + sorted((MAILS / "trust").glob("*.eml"))]
    checker, keys, now = inspector(), itertools.count(), datetime.now(timezone.utc)
    parse = medians(raws, args.rounds, parse_message, stdlib_parse)
    parsed = {raw: parse_message(raw) for raw in raws}
    inspect = medians(raws, args.rounds,
                      lambda raw: checker.seal(checker.inspect(parsed[raw]), secret_context(str(next(keys))), now),
                      stdlib_parse)
    big = big_mail()
    big_ours = cpu_us(lambda: checker.inspect(parse_message(big)))
    big_theirs = cpu_us(lambda: stdlib_parse(big))
    return {"corpus_mails": len(raws), "rounds": args.rounds,
            "parse_us": {"rootmail": round(parse[0]), "stdlib": round(parse[1]), "ratio": ratio(*parse)},
            "inspect_seal_us": {"rootmail": round(inspect[0]), "stdlib_parse": round(inspect[1]),
                                "ratio": ratio(*inspect)},
            "big_mail_ms": {"rootmail": round(big_ours / 1000), "stdlib": round(big_theirs / 1000),
                            "ratio": ratio(big_ours, big_theirs)},
            "ingest": asyncio.run(ingest_ratio(raws, args.ingest))}


def markdown(r: dict) -> str:
    i = r["ingest"]
    return table(["measure (CPU, median per mail)", "RootMail", "baseline", "ratio"], [
        ["parse_message vs the stdlib's parse (headers, body text)", f"{r['parse_us']['rootmail']} µs",
         f"{r['parse_us']['stdlib']} µs", times(r["parse_us"]["ratio"])],
        ["inspect + seal (classify, verify, extract, AES-GCM) vs the stdlib's parse", f"{r['inspect_seal_us']['rootmail']} µs",
         f"{r['inspect_seal_us']['stdlib_parse']} µs", times(r["inspect_seal_us"]["ratio"])],
        ["10 MB mail: parse + inspect vs the stdlib's parse", f"{r['big_mail_ms']['rootmail']} ms",
         f"{r['big_mail_ms']['stdlib']} ms", times(r["big_mail_ms"]["ratio"])],
        [f"ingest into SQLite (parse, inspect, record; mean of {i['mails']}) vs the stdlib's parse + a bare insert",
         f"{i['cpu_ms_per_mail']} ms", f"{i['bare_cpu_ms_per_mail']} ms", times(i["ratio"])]])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inspection", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--ingest", type=int, default=2000, help="mails ingested against the bare minimum")
    add_format(parser)
    args = parser.parse_args()
    measure("inspection", args, run, markdown)


if __name__ == "__main__":
    main()
