"""Inspection benchmark: parse + classify + verify + seal per mail, the 10 MB mail, and ingest into SQLite.

    .venv/bin/python -m bench.inspection [--rounds 200]

Uses the mails in tests/mails (AWS corpus and tests/mails/trust spoofing cases). Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from core.intake.ingest import ingest
from core.intake.inspection import Inspector, secret_context
from core.intake.sender_trust import EXCHANGE_ONLINE, TrustPolicy
from crypto.box import AesGcmBox
from mail.mime import parse_message
from storage.sqlite import open_sqlite

MAILS = Path(__file__).resolve().parents[1] / "tests" / "mails"
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def inspector() -> Inspector:
    return Inspector(TrustPolicy(("mx.rootmail.example", EXCHANGE_ONLINE)), AesGcmBox([bytes(32)]), timedelta(minutes=15))


def per_mail_us(raws: list[bytes], rounds: int, step) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        for raw in raws:
            started = time.perf_counter()
            step(raw)
            samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def big_mail() -> bytes:
    filler = ("AWS " * 20 + "\r\n") * (10 * 1024 * 1024 // 82)
    return ("Authentication-Results: mx.rootmail.example; dkim=pass header.d=signin.aws; dmarc=pass "
            "header.from=signin.aws\r\nFrom: Amazon Web Services <no-reply@signin.aws>\r\nSubject: AWS Notification - "
            f"Email Verification\r\nMessage-ID: <big@bench>\r\n\r\nVerification code: 613470\r\n{filler}").encode()


async def ingest_rate(raws: list[bytes], count: int) -> float:
    checker = inspector()
    with tempfile.TemporaryDirectory() as folder:
        async with open_sqlite(Path(folder) / "bench.db") as store:
            parsed = [parse_message(r) for r in raws]
            started = time.perf_counter()
            for n in range(count):
                mail = parsed[n % len(parsed)]
                await ingest(store, lambda: NOW, replace(mail, message_id=f"<{n}@bench>"), ["aws-0001@example.com"],
                             checker)
            return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    raws = [p.read_bytes() for p in sorted(MAILS.glob("*.eml")) + sorted((MAILS / "trust").glob("*.eml"))]
    checker = inspector()
    parse = per_mail_us(raws, args.rounds, parse_message)
    inspect_only = [parse_message(r) for r in raws]
    keys = itertools.count()
    inspect = per_mail_us(inspect_only, args.rounds,
                          lambda m: checker.seal(checker.inspect(m), secret_context(str(next(keys))), NOW))
    raw = big_mail()
    started = time.perf_counter()
    checker.inspect(parse_message(raw))
    big = time.perf_counter() - started
    rate = asyncio.run(ingest_rate(raws, 2000))
    print(f"| measure ({len(raws)} corpus mails x {args.rounds} rounds) | median | p99 |")
    print("|---|---|---|")
    print(f"| parse_message | {parse[0]:.0f} us | {parse[1]:.0f} us |")
    print(f"| inspect + seal (classify, verify, extract, AES-GCM) | {inspect[0]:.0f} us | {inspect[1]:.0f} us |")
    print(f"| 10 MB mail: parse + inspect | {big * 1000:.0f} ms | |")
    print(f"| ingest into SQLite with inspection, one recipient | {rate:.0f} mails/s | |")


if __name__ == "__main__":
    main()
