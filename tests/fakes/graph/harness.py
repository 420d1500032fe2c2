"""RootMail with the Graph mail source, in-process on a known loopback port, talking to the fake Graph (tokens from
a static credential) and the fake Bot Connector; a settable clock; helpers to wait for what users would see."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

from app import INBOX, READINESS, create_app
from core.model import MailState
from core.readiness import STARTING
from tests.fakes import teams
from tests.fakes.graph.server import FakeGraph, StaticToken
from tests.fakes.graph.state import Message
from tests.cardcheck import validate_cards
from tests.integration.conftest import Harness

ALIAS_BOX = "aws-root-01@example.com"
PLUS_BOX = "aws-root@example.com"
ALIASES = [f"aws-{n:04d}@example.com" for n in range(1, 31)]
ALIAS_BOX_UPN = "aws-root-01@contoso.onmicrosoft.com"  # not its mail address: Graph finds it by UPN or id only
AWS_HEADERS = [  # as Exchange Online stamps mail from Amazon SES that passed its checks
    ("Received", "from a1-2.smtp-out.amazonses.com (54.240.1.2) by AM0PR01MB.outlook.office365.com with ESMTPS"),
    ("Authentication-Results", "spf=pass (sender IP is 54.240.1.2) smtp.mailfrom=amazonses.com; dkim=pass "
     "(signature was verified) header.d=signin.aws;dmarc=pass action=none header.from=signin.aws;compauth=pass "
     "reason=100"),
]


class Clock:
    """Now, as RootMail and the fake Graph see it; tests move it forward. It starts at the real time (whole
    seconds), so nothing a test does depends on the day it runs."""

    def __init__(self, graph: FakeGraph, start: datetime | None = None):
        self.now = start or datetime.now(timezone.utc).replace(microsecond=0)
        graph.state.clock = self

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def mail_api(client, graph: FakeGraph, **options: Any):
    """A GraphMail whose mailboxes are already resolved to their object ids, as start-up leaves it (resolution
    itself: tests/integration/graph/test_mailboxes.py)."""
    from mail.graph.api import GraphMail

    mail = GraphMail(client, **options)
    mail.user_ids.update({box.mail: box.id for box in graph.state.mailboxes})
    return mail


def write_pool(path: Path) -> Path:
    path.write_text(json.dumps({"mailboxes": [
        {"address": ALIAS_BOX, "strategy": "alias", "capacity": 300,
         "aliases": ["ignored-in-graph-mode@example.com"]},
        {"address": PLUS_BOX, "strategy": "plus"}]}))
    return path


def fake_exchange(graph: FakeGraph) -> None:
    graph.add_mailbox(ALIAS_BOX, ALIASES + [ALIAS_BOX_UPN], upn=ALIAS_BOX_UPN)
    graph.add_mailbox(PLUS_BOX, ["aws-root@contoso.onmicrosoft.com"])


@dataclass
class GraphHarness(Harness):
    graph: FakeGraph = None
    clock: Clock = None
    credential: StaticToken = field(default_factory=StaticToken)

    @property
    def source(self):
        return self.client.app[INBOX]

    def aws_mail(self, to: str | list[str], subject: str = "Your AWS account is ready", **extra: Any) -> Message:
        mailbox = extra.pop("mailbox", ALIAS_BOX)
        return self.graph.deliver(mailbox, to=[to] if isinstance(to, str) else to, subject=subject,
                                  sender="no-reply@signin.aws", sender_name="Amazon Web Services",
                                  body="<p>Welcome to <b>Amazon Web Services</b>.</p>",
                                  headers=extra.pop("headers", AWS_HEADERS), received=self.clock.now, **extra)

    async def posted(self, count: int, timeout: float = 10.0):
        return await self.connector.wait_for(count, timeout)

    async def until(self, check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
        async def poll():
            while not await check():
                await asyncio.sleep(0.02)
        await asyncio.wait_for(poll(), timeout)

    async def mails_in(self, state: MailState, count: int, timeout: float = 10.0) -> None:
        await self.until(lambda: self._count(state, count), timeout)

    async def _count(self, state: MailState, count: int) -> bool:
        return await self.store.count_mails(state.value) >= count


async def start_rootmail(aiohttp_client, connector, graph: FakeGraph, settings, clock: Clock, port: int,
                         **overrides: Any) -> GraphHarness:
    app = create_app(settings, clock=clock, graph_credential=StaticToken(graph.token),
                     **({"identities_verified": True} | overrides))
    client = await aiohttp_client(app, server_kwargs={"port": port})
    await opened(app)
    return GraphHarness(client, connector, graph=graph, clock=clock)


async def opened(app, timeout: float = 30.0) -> None:
    """The app serves before its Graph source is open (it opens in the background once the store answers); tests
    that talk to the source wait for that, as Graph itself would be answered 503 until then."""
    readiness = app[READINESS]
    async with asyncio.timeout(timeout):
        while readiness.get("mail_source").state == STARTING:
            await asyncio.sleep(0.01)


def graph_env(graph: FakeGraph, tmp_path: Path, port: int, mode: str = "graph", **env: str) -> dict[str, str]:
    return {"ROOTMAIL_MAIL_SOURCE": mode, "ROOTMAIL_GRAPH_BASE_URL": f"{graph.url}/v1.0",
            "ROOTMAIL_GRAPH_PUBLIC_URL": f"http://127.0.0.1:{port}", "ROOTMAIL_POOL_FILE": str(write_pool(
                tmp_path / "pool.json")), "ROOTMAIL_ADMIN_CONVERSATION": teams.PERSONAL.conversation_id,
            "ROOTMAIL_AUTHSERV_IDS": "exchange-online", "ROOTMAIL_GRAPH_TIMEOUT": "2", **env}


@pytest.fixture
async def fake_graph(aiohttp_server) -> FakeGraph:
    graph = FakeGraph()
    fake_exchange(graph)
    server = await aiohttp_server(graph.app())
    graph.url = str(server.make_url("")).rstrip("/")
    return graph


@pytest.fixture
def graph_port(unused_tcp_port) -> int:
    return unused_tcp_port


@pytest.fixture
def start_graph_app(aiohttp_client, connector, fake_graph, make_settings, tmp_path, graph_port):
    """start(mode="graph", **env) -> GraphHarness; call again (after closing the first) to restart on the same store."""
    clock = Clock(fake_graph)
    started: list[GraphHarness] = []

    async def start(mode: str = "graph", listen_port: int | None = None, **env: Any) -> GraphHarness:
        """`listen_port`: a second instance behind the same public URL listens elsewhere."""
        overrides = {k: env.pop(k) for k in ("poster", "store") if k in env}
        settings = make_settings(**graph_env(fake_graph, tmp_path, graph_port, mode, **env))
        harness = await start_rootmail(aiohttp_client, connector, fake_graph, settings, clock,
                                       listen_port or graph_port, **overrides)
        started.append(harness)
        return harness
    yield start
    cards = [c for sent in connector.sent for c in sent.cards] + [c for h in started for c in h.answered]
    problems = {i: errors for i, errors in enumerate(validate_cards(cards)) if errors} if cards else {}
    assert not problems, f"the bot sent cards Teams would reject: {problems}"
