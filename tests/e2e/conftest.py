"""E2E fixtures: RootMail and the Agents Playground as real processes, Chromium driving the Playground's UI.

Servers, browser and the story steps are session-wide and share one event loop (`loop_scope="session"`);
each test opens its own tab, so what it sees is what it did (plus RootMail's welcome cards).
"""
from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from settings import ROOT
from tests.e2e import servers, story
from tests.e2e.ui import PlaygroundTab, open_playground

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
FAILURES = ROOT / "test-results"
PROCESSES = pytest.StashKey[list]()
CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e")


def _started(config: pytest.Config, process: servers.Process) -> None:
    config.stash.setdefault(PROCESSES, []).append(process)


@pytest.fixture(scope="session")
def rootmail_server(e2e_dir, pytestconfig) -> Iterator[servers.RootMail]:
    server = servers.start_rootmail(e2e_dir)
    _started(pytestconfig, server.process)
    yield server
    server.process.stop()


@pytest.fixture(scope="session")
def playground_server(rootmail_server, e2e_dir, pytestconfig) -> Iterator[servers.Playground]:
    server = servers.start_playground(rootmail_server.endpoint, e2e_dir / "playground")
    _started(pytestconfig, server.process)
    yield server
    server.process.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"the e2e tests need Debian's chromium at {CHROMIUM} (run `make test`, it installs it)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def tab(browser, playground_server, request) -> AsyncIterator[PlaygroundTab]:
    """A fresh browser tab on the Playground; on failure its last view is kept in test-results/."""
    opened = await open_playground(browser, playground_server.url)
    yield opened
    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.failed:
        FAILURES.mkdir(exist_ok=True)
        await opened.page.screenshot(path=FAILURES / f"{request.node.name}.png")
    await opened.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def allocation(browser, playground_server) -> story.Allocation:
    """The channel 'AWS Accounts' asked RootMail for an address through the form."""
    opened = await open_playground(browser, playground_server.url)
    try:
        return await story.allocate_in_channel(opened)
    finally:
        await opened.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def delivered_mail(browser, playground_server, rootmail_server, allocation) -> story.DeliveredMail:
    """AWS sent a verification code to that address, and the channel was open when RootMail posted it."""
    opened = await open_playground(browser, playground_server.url)
    try:
        return await story.mail_in_channel(opened, rootmail_server, allocation.address)
    finally:
        await opened.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """Keep the call report for the tab fixture, and add the servers' last log lines to a failure."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    if report.failed and "e2e" in item.keywords:
        for process in item.config.stash.get(PROCESSES, []):
            report.sections.append((f"{process.name} log (last lines, {process.log})", process.tail()))
