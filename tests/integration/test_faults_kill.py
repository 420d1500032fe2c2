"""RootMail killed with SIGKILL in the middle of a 1,000-mail burst and started again on the same SQLite file.

A real `python app.py` with its SMTP inbox; the mail arrives over SMTP (100 recipients per transaction, as AWS's own
bursts do), posts go to the limit-enforcing fake Bot Connector in this process. Afterwards: no mail lost, none left
waiting, and a mail posted twice (the known window: killed after the Bot Connector accepted a post and before the
store recorded it) is never repeated silently: the repeat says so on its card.
"""
from __future__ import annotations

import asyncio
import os
import random
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from core.intake.ingest import dedupe_key
from storage.sqlite import open_sqlite
from tests.fakes.serving import serving
from tests.fakes.teams_limits import TeamsLimitedConnector
from tests.integration.burst_helpers import add_addresses, address, smtp_message

ROOT = Path(__file__).resolve().parents[2]
MAILS, CHANNELS, PER_TRANSACTION = 1000, 20, 100
KINDS = ("health", "billing", "reset", "health", "billing", "code", "health", "billing", "health", "billing")
KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RootMailProcess:
    def __init__(self, db: Path, digests: bool):
        self.http, self.smtp = free_port(), free_port()
        self.env = os.environ | {
            "ROOTMAIL_STORE": f"sqlite:///{db}", "ROOTMAIL_MAIL_SOURCE": "smtp", "ROOTMAIL_PORT": str(self.http),
            "ROOTMAIL_SMTP_PORT": str(self.smtp), "ROOTMAIL_INSTANCE_ID": "rootmail-kill-test",
            "ROOTMAIL_SECRET_KEY": KEY, "ROOTMAIL_LOG_LEVEL": "WARNING", "ROOTMAIL_LOG_FORMAT": "json",
            "ROOTMAIL_DIGEST_THRESHOLD": "10" if digests else "0"}
        self.process: subprocess.Popen | None = None

    async def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.process.poll() is None, "RootMail exited while starting"
                try:
                    async with http.get(f"http://127.0.0.1:{self.http}/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, "RootMail did not become ready"
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def send_transaction(port: int, n: int) -> bool:
    """One SMTP transaction: mail n to 100 root addresses. False if RootMail went away before its 250."""
    message = smtp_message(KINDS[n % len(KINDS)], n, burst="kill")
    recipients = [address(i) for i in range(n * PER_TRANSACTION, (n + 1) * PER_TRANSACTION)]
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
            client.send_message(message, to_addrs=recipients)
        return True
    except (OSError, smtplib.SMTPException):
        return False


def expected_keys() -> set[str]:
    return {dedupe_key(smtp_message(KINDS[n % len(KINDS)], n, burst="kill")["Message-ID"], address(i))
            for n in range(MAILS // PER_TRANSACTION) for i in range(n * PER_TRANSACTION, (n + 1) * PER_TRANSACTION)}


def pending(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT count(*) FROM mails WHERE state IN ('received', 'failed')").fetchone()[0]


@pytest.fixture
async def limited(aiohttp_server):
    return await serving(aiohttp_server, TeamsLimitedConnector(keep_activities=False))


async def burst_killed_midway(tmp_path, limited, digests: bool, kill_after: int) -> Counter:
    db = tmp_path / "rootmail.db"
    async with open_sqlite(db) as store:
        await add_addresses(store, MAILS, CHANNELS, limited.url)
    rootmail = RootMailProcess(db, digests)
    keys = expected_keys()
    try:
        await rootmail.start()
        sent = await asyncio.gather(*(asyncio.to_thread(send_transaction, rootmail.smtp, n)
                                      for n in range(MAILS // PER_TRANSACTION)))
        while len(limited.deliveries()) < kill_after:
            await asyncio.sleep(0.005)
        await asyncio.sleep(random.uniform(0.0, 0.3))  # not right after an accepted post: anywhere in the burst
        rootmail.kill()
        in_flight_at_kill = len(limited.deliveries())
        await rootmail.start()
        for n, accepted in enumerate(sent):  # the sender keeps what RootMail never acknowledged, and sends again
            if not accepted:
                assert await asyncio.to_thread(send_transaction, rootmail.smtp, n)
        await limited.wait_for_mails(keys, timeout=90)
        deadline = time.monotonic() + 30
        while pending(db):
            assert time.monotonic() < deadline, "mail left waiting after the restart"
            await asyncio.sleep(0.1)
    finally:
        rootmail.stop()
    delivered = limited.deliveries()
    assert set(delivered) == keys, f"lost {len(keys - set(delivered))} mails"
    seen: set[str] = set()
    for post in limited.accepted:  # every delivery after a mail's first is flagged on its card
        again = [k for k in post.keys if k in seen]
        assert not again or post.flagged_repeat, f"{len(again)} mails reposted without the repeat note: " + str(
            [(p.at, p.flagged_repeat, len(p.keys)) for p in limited.accepted if again[0] in p.keys])
        seen.update(post.keys)
    duplicates = Counter({k: n - 1 for k, n in delivered.items() if n > 1})
    print(f"\nSIGKILL after {in_flight_at_kill} of {MAILS} delivered (digests {'on' if digests else 'off'}): "
          f"{sum(duplicates.values())} duplicate deliveries, {sum(limited.throttled.values())} answered 429")
    return duplicates


async def test_killed_mid_burst_one_card_each_nothing_lost_repeats_flagged(tmp_path, limited):
    duplicates = await burst_killed_midway(tmp_path, limited, digests=False, kill_after=300)

    assert sum(duplicates.values()) <= 16  # at most what was in flight when it died (16 posts at once)


async def test_killed_mid_burst_with_digests_nothing_lost_repeats_flagged(tmp_path, limited):
    duplicates = await burst_killed_midway(tmp_path, limited, digests=True, kill_after=150)

    assert sum(duplicates.values()) <= 16 * 30  # at most the 16 posts in flight, each up to a whole digest of 30
