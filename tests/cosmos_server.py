"""Starts the Cosmos DB API test server (@vercel/cosmosdb-server via tests/tools/cosmos_server.js) on loopback.

Usable without pytest (`with running_cosmos_server() as server:` or `async with cosmos_server_async()`),
and as the session fixture `cosmos_server` (import it into a conftest.py).
"""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import threading
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Iterator
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "tools" / "cosmos_server.js"
PACKAGE = ROOT / "node_modules" / "@vercel" / "cosmosdb-server"
# The server accepts any key; the SDK only needs valid base64 to sign requests. This is the public emulator key.
EMULATOR_KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XyIhnjtw=="
START_TIMEOUT = 20.0


@dataclass(frozen=True)
class CosmosServer:
    endpoint: str
    key: str
    ca_file: Path
    log_file: Path


class RequestLog:
    """Every HTTP request a CosmosClient sends (retries included): pass `client_options()` to open_cosmos."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    def client_options(self) -> dict:
        return {"raw_request_hook": self._record}

    def _record(self, pipeline_request) -> None:
        request = pipeline_request.http_request
        self.requests.append((request.method, urlparse(request.url).path))

    def count(self) -> int:
        return len(self.requests)


def unavailable_reason() -> str | None:
    """Why the server cannot start here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not PACKAGE.is_dir():
        return "node_modules/@vercel/cosmosdb-server is missing (run `make install`)"
    if shutil.which("openssl") is None:
        return "openssl is not installed"
    return None


def _make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return cert, key


def _read_port(process: subprocess.Popen, log_file: Path) -> int:
    """The first stdout line is {"port": N}; read it on a thread so a hung start cannot hang the caller."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT)
    if not found or not found[0].strip():
        process.kill()
        raise RuntimeError(f"Cosmos DB test server did not start; see {log_file}:\n{log_file.read_text()[-2000:]}")
    return int(json.loads(found[0])["port"])


@contextmanager
def running_cosmos_server() -> Iterator[CosmosServer]:
    """A fresh server on a free loopback port with a fresh certificate; stopped (and its files removed) on exit."""
    if reason := unavailable_reason():
        raise RuntimeError(f"cannot start the Cosmos DB test server: {reason}")
    with tempfile.TemporaryDirectory(prefix="rootmail-cosmos-") as tmp:
        folder = Path(tmp)
        cert, key = _make_certificate(folder)
        log_file = folder / "server.log"
        with open(log_file, "w") as log:
            process = subprocess.Popen(["node", str(SCRIPT), str(cert), str(key), "0"], cwd=ROOT,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            port = _read_port(process, log_file)
            yield CosmosServer(f"https://127.0.0.1:{port}/", EMULATOR_KEY, cert, log_file)
        finally:
            process.stdin.close()  # the script exits when stdin ends
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            process.stdout.close()


@asynccontextmanager
async def cosmos_server_async() -> AsyncIterator[CosmosServer]:
    """The same, for async code: start and stop run on a worker thread so the event loop keeps going."""
    manager = running_cosmos_server()
    server = await asyncio.to_thread(manager.__enter__)
    try:
        yield server
    finally:
        await asyncio.to_thread(manager.__exit__, None, None, None)


@pytest.fixture(scope="session")
def cosmos_server() -> Iterator[CosmosServer]:
    """One server per test session; tests isolate themselves with their own database name.
    A missing Node or package fails the tests rather than skipping them; deselect with `-m "not cosmos"`."""
    with running_cosmos_server() as server:
        yield server
