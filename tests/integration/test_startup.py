"""The real `python app.py` with every cloud dependency unreachable: Cosmos DB, Microsoft Graph, Entra ID and AWS
all point at closed loopback ports. It must serve /healthz and answer `help` anyway, say in /readyz what is down,
answer commands that need the store with what is down, and stop cleanly on SIGTERM at any moment.

How long start-up takes is a figure for bench/startup.py, not an assertion here (the waits below are generous).
"""
from __future__ import annotations

import asyncio
import signal
import time

import aiohttp
import pytest

from tests.fakes import teams
from tests.fakes.connector import FakeConnector
from tests.fakes.serving import serving
from tests.integration.cloudless import ASYNCIO_ERRORS, GENEROUS, GRACE, RootMailProcess, unreachable_cloud

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
