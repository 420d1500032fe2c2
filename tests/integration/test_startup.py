"""The real `python app.py` with every cloud dependency unreachable: Cosmos DB, Microsoft Graph, Entra ID and AWS
all point at closed loopback ports. It must serve /healthz and answer `help` anyway, say in /readyz what is down,
answer commands that need the store with what is down, and stop cleanly on SIGTERM at any moment.

How long start-up takes is a figure for bench/startup.py, not an assertion here (the waits below are generous).
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.fakes import teams
from tests.fakes.connector import FakeConnector
from tests.fakes.serving import serving
from tests.paths import ROOT

KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
GENEROUS = 30.0  # seconds; a loaded CI box is slow, a start that waits on the cloud takes minutes
GRACE = 30.0  # a container platform's stop grace period (Kubernetes' default terminationGracePeriodSeconds)
# What must never appear in the log of a clean start or stop
ASYNCIO_ERRORS = ("Traceback", "Task was destroyed", "exception was never retrieved", "Unclosed", "Event loop is closed")


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once, like a firewall that rejects."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unreachable_cloud(tmp_path: Path) -> dict[str, str]:
    dead = f"127.0.0.1:{closed_port()}"
    pool = tmp_path / "pool.json"
    pool.write_text('{"mailboxes": [{"address": "aws-root@example.com", "strategy": "alias", "capacity": 300},'
                    ' {"address": "aws-plus@example.com", "strategy": "plus"}]}')
    return {
        "ROOTMAIL_PORT": str(closed_port()), "ROOTMAIL_SECRET_KEY": KEY, "ROOTMAIL_LOG_FORMAT": "text",
        "ROOTMAIL_LOG_LEVEL": "INFO", "ROOTMAIL_POOL_FILE": str(pool), "ROOTMAIL_INSTANCE_ID": "startup-test",
        # Cosmos DB
        "ROOTMAIL_STORE": "cosmos", "ROOTMAIL_COSMOS_ENDPOINT": f"https://{dead}/", "ROOTMAIL_COSMOS_KEY": KEY,
        # Microsoft Graph and Entra ID (azure-identity reads its authority host from AZURE_AUTHORITY_HOST)
        "ROOTMAIL_MAIL_SOURCE": "graph", "ROOTMAIL_GRAPH_BASE_URL": f"http://{dead}/v1.0",
        "ROOTMAIL_GRAPH_PUBLIC_URL": f"http://{dead}", "ROOTMAIL_GRAPH_TENANT_ID": "11111111-2222-3333-4444-555555555555",
        "ROOTMAIL_GRAPH_CLIENT_ID": "22222222-3333-4444-5555-666666666666", "ROOTMAIL_GRAPH_CLIENT_SECRET": "wrong",
        "AZURE_AUTHORITY_HOST": f"https://{dead}",
        # the automation API's Entra ID metadata
        "ROOTMAIL_API_AUDIENCE": "33333333-4444-5555-6666-777777777777",
        "ROOTMAIL_API_TENANT_ID": "11111111-2222-3333-4444-555555555555",
        "ROOTMAIL_API_METADATA_URL": f"http://{dead}/.well-known/openid-configuration",
        # AWS (botocore reads AWS_ENDPOINT_URL; no instance metadata lookups)
        "ROOTMAIL_ORG_ROLE_ARN": "arn:aws:iam::111122223333:role/RootMailOrgReader",
        "ROOTMAIL_ADOPT_ROLE_ARN": "arn:aws:iam::111122223333:role/RootMailAdopter",
        "AWS_ENDPOINT_URL": f"http://{dead}", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class RootMailProcess:
    def __init__(self, env: dict[str, str], log: Path):
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ROOTMAIL_", "Microsoft"))} | env
        self.port = int(env["ROOTMAIL_PORT"])
        self.log = log
        self.started = 0.0
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.started = time.monotonic()
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def wait_for_healthz(self, http: aiohttp.ClientSession) -> float:
        deadline = self.started + GENEROUS
        while True:
            assert self.process.poll() is None, f"RootMail exited while starting:\n{self.output()}"
            try:
                async with http.get(self.url("/healthz"), timeout=aiohttp.ClientTimeout(total=2)) as response:
                    if response.status == 200:
                        return time.monotonic() - self.started
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            assert time.monotonic() < deadline, f"/healthz never answered:\n{self.output()}"
            await asyncio.sleep(0.02)

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; the exit code and how long it took to stop."""
        asked = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=GENEROUS)
        return code, time.monotonic() - asked

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
async def connector(aiohttp_server):
    return await serving(aiohttp_server, FakeConnector())


@pytest.fixture
def rootmail(tmp_path):
    process = RootMailProcess(unreachable_cloud(tmp_path), tmp_path / "rootmail.log")
    yield process
    process.kill()


@pytest.fixture
def rootmail_on_sqlite(tmp_path):
    """The store answers (a local SQLite file); Graph, Entra ID and AWS still do not."""
    env = unreachable_cloud(tmp_path) | {"ROOTMAIL_STORE": f"sqlite:///{tmp_path / 'rootmail.db'}"}
    process = RootMailProcess(env, tmp_path / "rootmail.log")
    yield process
    process.kill()


async def post_activity(http: aiohttp.ClientSession, rootmail: RootMailProcess, activity: dict) -> int:
    async with http.post(rootmail.url("/api/messages"), json=activity,
                         timeout=aiohttp.ClientTimeout(total=GENEROUS)) as response:
        return response.status


async def test_with_the_whole_cloud_unreachable_rootmail_serves_health_and_help(rootmail, connector):
    rootmail.start()
    async with aiohttp.ClientSession() as http:
        await rootmail.wait_for_healthz(http)
        assert await post_activity(http, rootmail, teams.message("help", teams.PERSONAL, connector.url)) in (200, 201)
        [answer] = await connector.wait_for(1, timeout=GENEROUS)
        assert "RootMail" in str(answer.cards)

        async with http.get(rootmail.url("/readyz"), timeout=aiohttp.ClientTimeout(total=5)) as response:
            assert response.status == 503
            checks = (await response.json())["checks"]
        assert checks["store"] == "starting" or checks["store"].startswith("failing: ")
        assert checks["mail_source"] == "starting"  # it opens once the store answers

        # a command that needs the store says so at once, with what is down and since when
        assert await post_activity(http, rootmail, teams.message("list", teams.PERSONAL, connector.url)) in (200, 201)
        [_, down] = await connector.wait_for(2, timeout=GENEROUS)
        text = str(down.cards)
        assert "Azure Cosmos DB" in text and "Since" in text and "Nothing was changed" in text

    code, _ = rootmail.terminate()
    assert code == 0
    log = rootmail.output()
    assert not [e for e in ASYNCIO_ERRORS if e in log], log
    assert "the store does not answer; retrying" in log  # one line per attempt, not a traceback


async def test_with_graph_and_entra_unreachable_commands_that_need_only_the_store_work(rootmail_on_sqlite,
                                                                                      connector):
    rootmail = rootmail_on_sqlite
    rootmail.start()
    async with aiohttp.ClientSession() as http:
        await rootmail.wait_for_healthz(http)
        assert await post_activity(http, rootmail, teams.message("list", teams.PERSONAL, connector.url)) in (200, 201)
        [answer] = await connector.wait_for(1, timeout=GENEROUS)
        assert "Nothing was changed" not in str(answer.cards)  # the store answers: an ordinary (empty) list
        async with http.get(rootmail.url("/readyz"), timeout=aiohttp.ClientTimeout(total=5)) as response:
            assert response.status == 503
            checks = (await response.json())["checks"]
        assert checks["store"] == "ok"
        assert checks["mail_source"] != "ok"
    code, _ = rootmail.terminate()
    assert code == 0
    log = rootmail.output()
    assert not [e for e in ASYNCIO_ERRORS if e in log], log


async def test_readyz_never_waits_on_the_cloud(rootmail):
    rootmail.start()
    async with aiohttp.ClientSession() as http:
        await rootmail.wait_for_healthz(http)
        for _ in range(5):
            asked = time.monotonic()
            async with http.get(rootmail.url("/readyz"), timeout=aiohttp.ClientTimeout(total=GENEROUS)) as response:
                assert response.status == 503
            assert time.monotonic() - asked < GRACE / 3  # a probe's deadline; its own checks give up after 1 s
    rootmail.terminate()


@pytest.mark.parametrize("after", [0.05, 0.4, 0.9, 1.5, 3.0])
async def test_sigterm_at_any_moment_stops_cleanly(rootmail, after):
    rootmail.start()
    await asyncio.sleep(after)
    code, took = rootmail.terminate()
    log = rootmail.output()
    assert code in (0, -signal.SIGTERM), log  # -SIGTERM: the signal came before Python ran any of RootMail
    assert took < GRACE, f"took {took:.1f} s to stop"
    assert not [e for e in ASYNCIO_ERRORS if e in log], log
