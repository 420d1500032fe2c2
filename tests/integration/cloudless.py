"""RootMail as a real `python app.py` whose cloud is unreachable: Cosmos DB, Microsoft Graph, Entra ID, the API's
metadata and AWS all point at closed loopback ports (connections are refused at once, as by a firewall that rejects).
Used by tests/integration/test_startup.py and bench/startup.py."""
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
        "ROOTMAIL_API_METADATA_URL": f"http://{dead}/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration",
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
