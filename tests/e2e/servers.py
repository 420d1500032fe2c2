"""RootMail and the Agents Playground as real processes on free loopback ports, started and stopped for the e2e tests."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from settings import ROOT

PLAYGROUND_VERSION = "0.2.28"
PLAYGROUND_CLI = ROOT / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
PLAYGROUND_CONFIG = ROOT / "config" / "playground.yml"
LOOPBACK_ONLY = ROOT / "scripts" / "loopback-only.cjs"
ADMIN_CONVERSATION = "personal-chat-rootmail"  # the Playground's personal chat, as `make run` sets it
START_TIMEOUT = 30.0


class StartFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.popen.poll() is not None:
                raise StartFailed(f"{self.name} exited with {self.popen.returncode} before {what}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise StartFailed(f"{self.name}: no {what} after {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def _start(name: str, argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> Process:
    with log.open("wb") as out:
        popen = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
    return Process(name, popen, log)


def _clean_env(*prefixes: str) -> dict[str, str]:
    """The caller's environment without settings of ours, so the embedded defaults apply."""
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class RootMail:
    process: Process
    port: int
    smtp_port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"


def start_rootmail(workdir: Path) -> RootMail:
    """`python app.py` on its embedded defaults, with only ports, store and admin conversation set."""
    port, smtp_port = free_port(), free_port()
    env = _clean_env("ROOTMAIL_", "Microsoft") | {
        "ROOTMAIL_PORT": str(port), "ROOTMAIL_SMTP_PORT": str(smtp_port),
        "ROOTMAIL_STORE": f"sqlite:///{workdir / 'rootmail.db'}",
        "ROOTMAIL_ADMIN_CONVERSATION": ADMIN_CONVERSATION, "ROOTMAIL_INSTANCE_ID": "e2e-1",
    }
    process = _start("RootMail", [sys.executable, str(ROOT / "app.py")], env, ROOT, workdir / "rootmail.log")
    rootmail = RootMail(process, port, smtp_port)
    try:  # /readyz answers 200 only once the store and the SMTP inbox work
        process.wait_until(lambda: _http_ok(f"http://127.0.0.1:{port}/readyz"), "200 from /readyz")
    except StartFailed:
        process.stop()
        raise
    return rootmail


@dataclass
class Playground:
    process: Process
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


def start_playground(bot_endpoint: str, workdir: Path) -> Playground:
    """The pinned Playground as `make run` starts it: loopback only, the project's config, no browser."""
    node = shutil.which("node")
    if node is None or not PLAYGROUND_CLI.exists():
        raise StartFailed("the e2e tests need Node 20 and node_modules (run `make test`, it installs them)")
    installed = json.loads((PLAYGROUND_CLI.parent / "package.json").read_text())["version"]
    if installed != PLAYGROUND_VERSION:
        raise StartFailed(f"the Playground in node_modules is {installed}; the e2e tests drive {PLAYGROUND_VERSION}")
    workdir.mkdir(parents=True, exist_ok=True)  # it writes its own files into its working directory
    env = _clean_env("M365_AGENTS_PLAYGROUND_", "TEAMSAPPTESTER_", "BOT_ENDPOINT", "DEFAULT_CHANNEL_ID") | {
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(PLAYGROUND_CONFIG), "TEAMSAPPTESTER_BROWSER": "none",
    }
    argv = [node, "-r", str(LOOPBACK_ONLY), str(PLAYGROUND_CLI), "-e", bot_endpoint, "-c", "msteams",
            "-p", str(free_port()), "--disable-telemetry"]
    process = _start("Agents Playground", argv, env, workdir, workdir / "playground.log")

    def listening() -> int | None:  # it picks another port by itself when the one given is taken
        match = re.search(r"Listening on (\d+)", process.log.read_text(errors="replace"))
        return int(match.group(1)) if match else None

    try:
        process.wait_until(lambda: listening() is not None, "'Listening on PORT'")
        playground = Playground(process, listening())
        process.wait_until(lambda: _http_ok(playground.url), "200 from its UI")
    except StartFailed:
        process.stop()
        raise
    return playground
