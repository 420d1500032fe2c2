"""RootMail's JSON batches over aiohttp (mail/graph/batch_http.py) against the fake Graph: the credential's token,
cached until shortly before it expires, only to the Graph host; throttling, timeouts, refusals and failures handled
as GraphClient.call handles the SDK's requests; the session closed with the client."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from aiohttp import web
from azure.core.credentials import AccessToken

from core.errors import MailSourceUnavailable
from mail.graph.api import GraphMail
from mail.graph.batch_http import REFRESH_BEFORE, HostRefused
from mail.graph.client import credential_from, open_graph_client
from tests.fakes.graph.entra import FakeEntra
from tests.fakes.graph.harness import ALIAS_BOX, ALIASES, fake_graph, mail_api  # noqa: F401  (fixture)
from tests.fakes.graph.server import TENANT_ID
from tests.integration.graph.test_client import FAST


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class IssuingCredential:
    """An azure.core AsyncTokenCredential that issues `token` valid for `lifetime` seconds of `clock`, as
    AccessToken.expires_on says (azure-core credentials.py: "expires_on: The token's expiration time in Unix time")."""

    def __init__(self, token: str, clock: Clock, lifetime: float = 3600.0):
        self.token, self.clock, self.lifetime, self.asked = token, clock, lifetime, []

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.asked.append(scopes)
        return AccessToken(self.token, int(self.clock() + self.lifetime))

    async def close(self) -> None:
        pass


def two_messages(fake) -> list[str]:
    return [fake.deliver(ALIAS_BOX, to=[ALIASES[n]]).id for n in range(2)]


def batch_posts(fake) -> list[Any]:
    return [r for r in fake.made("POST", "/$batch") if not r.in_batch]


async def test_batches_carry_the_credentials_token_which_is_asked_for_once_until_it_nears_expiry(fake_graph):
    clock = Clock()
    credential = IssuingCredential(fake_graph.token, clock)
    ids = two_messages(fake_graph)
    async with open_graph_client(credential, f"{fake_graph.url}/v1.0", 2.0, FAST, now=clock) as client:
        graph = mail_api(client, fake_graph)
        asked_at_start = len(credential.asked)  # the SDK's own requests (resolving the mailbox) ask it themselves
        for _ in range(3):
            assert all((await graph.messages(ALIAS_BOX, ids)).values())
        assert len(credential.asked) == asked_at_start + 1 and credential.asked[-1] == ("http://127.0.0.1/.default",)

        clock.now += 3600 - REFRESH_BEFORE + 1  # less than 300 s left: a new token, before Graph would refuse it
        credential.token = fake_graph.token = "rotated-token"
        assert all((await graph.messages(ALIAS_BOX, ids)).values())
    assert len(credential.asked) == asked_at_start + 2
    assert [r.headers["authorization"] for r in batch_posts(fake_graph)] == ["Bearer fake-graph-token"] * 3 + [
        "Bearer rotated-token"]


async def test_a_refused_token_is_dropped_and_the_next_batch_asks_again_without_logging_it(fake_graph, caplog):
    clock = Clock()
    credential = IssuingCredential("revoked-token", clock)
    ids = two_messages(fake_graph)
    caplog.set_level(logging.DEBUG)
    async with open_graph_client(credential, f"{fake_graph.url}/v1.0", 2.0, FAST, now=clock) as client:
        graph = mail_api(client, fake_graph)
        with pytest.raises(MailSourceUnavailable, match="Mail.ReadWrite") as refused:
            await graph.messages(ALIAS_BOX, ids)
        credential.token = fake_graph.token
        assert all((await graph.messages(ALIAS_BOX, ids)).values())
    assert refused.value.status == 401 and len(batch_posts(fake_graph)) == 2 and len(credential.asked) == 2
    assert "revoked-token" not in caplog.text + str(refused.value)


async def test_a_batch_never_follows_graph_elsewhere_nor_takes_its_token_there(aiohttp_server):
    elsewhere: list[dict[str, str]] = []

    async def record(request: web.Request) -> web.Response:
        elsewhere.append(dict(request.headers))
        return web.json_response({"responses": []})
    other = await aiohttp_server(_app("/{tail:.*}", record))
    # "localhost" and "127.0.0.1" are two hosts to a client, on one machine
    target = f"http://localhost:{other.port}/v1.0/$batch"

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(target)
    graph = await aiohttp_server(_app("/v1.0/$batch", redirect))
    credential = IssuingCredential("secret-token", Clock())
    async with open_graph_client(credential, f"http://127.0.0.1:{graph.port}/v1.0", 2.0, FAST) as client:
        with pytest.raises(MailSourceUnavailable, match="307") as refused:
            await _resolved(client).messages(ALIAS_BOX, ["AAkALgOne", "AAkALgTwo"])
    assert elsewhere == [] and refused.value.status == 307


def _resolved(client) -> GraphMail:
    graph = GraphMail(client)
    graph.user_ids[ALIAS_BOX] = "2a5f8e0c-1b2d-4e3f-9a8b-7c6d5e4f3a2b"
    return graph


def _app(path: str, handler: Any) -> web.Application:
    app = web.Application()
    app.router.add_route("*", path, handler)
    return app


async def test_a_graph_url_over_plain_http_to_another_machine_is_refused_before_any_token_is_asked():
    credential = IssuingCredential("secret-token", Clock())
    with pytest.raises(HostRefused, match="https only"):
        async with open_graph_client(credential, "http://graph.example.com/v1.0", 2.0, FAST):
            pass
    assert credential.asked == []


async def test_a_throttled_batch_pauses_the_whole_mailbox_then_is_sent_again(fake_graph):
    ids = two_messages(fake_graph)
    other = fake_graph.deliver(ALIAS_BOX, to=[ALIASES[2]])
    fake_graph.fail(429, times=1, path=r"/\$batch$", retry_after="1")
    async with open_graph_client(_static(fake_graph), f"{fake_graph.url}/v1.0", 2.0, FAST) as client:
        graph = mail_api(client, fake_graph)
        throttled = asyncio.create_task(graph.messages(ALIAS_BOX, ids))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await graph.message(ALIAS_BOX, other.id)  # another call to the mailbox waits out the pause too
        waited = time.monotonic() - started
        assert all((await throttled).values())
    assert [r.status for r in batch_posts(fake_graph)] == [429, 200] and waited >= 0.6


async def test_a_throttled_fetch_inside_a_batch_pauses_the_mailbox_and_is_fetched_alone(fake_graph):
    first, second = two_messages(fake_graph)
    fake_graph.fail(429, times=1, path=f"/messages/{first}$", retry_after="1")
    async with open_graph_client(_static(fake_graph), f"{fake_graph.url}/v1.0", 2.0, FAST) as client:
        graph = mail_api(client, fake_graph)
        started = time.monotonic()
        found = await graph.messages(ALIAS_BOX, [first, second])
        waited = time.monotonic() - started
    assert found[first] and found[second] and waited >= 0.8
    assert [(r.in_batch, r.status) for r in fake_graph.made("GET", first)] == [(True, 429), (False, 200)]


async def test_a_failing_batch_is_retried_to_the_bound_and_reported_with_graphs_status_and_code(fake_graph):
    fake_graph.fail(503, times=10, path=r"/\$batch$")
    async with open_graph_client(_static(fake_graph), f"{fake_graph.url}/v1.0", 2.0, FAST) as client:
        with pytest.raises(MailSourceUnavailable, match="503 ServiceUnavailable") as gave_up:
            await mail_api(client, fake_graph).messages(ALIAS_BOX, two_messages(fake_graph))
        assert client.failing[ALIAS_BOX] == "fetching messages: 503 ServiceUnavailable"
    assert gave_up.value.status == 503 and len(batch_posts(fake_graph)) == FAST.attempts


async def test_a_batch_graph_does_not_answer_in_time_is_sent_again(fake_graph):
    ids = two_messages(fake_graph)
    fake_graph.hang_seconds = 3.0
    fake_graph.fail(0, times=1, path=f"/messages/{ids[0]}$")
    async with open_graph_client(_static(fake_graph), f"{fake_graph.url}/v1.0", 0.5, FAST) as client:
        graph = mail_api(client, fake_graph)
        assert all((await graph.messages(ALIAS_BOX, ids)).values())
    # the first batch hung (the fake saw its fetch, never answered in time); the one sent again was answered
    assert [r.status for r in fake_graph.made("GET", ids[0])] == [0, 200] and len(batch_posts(fake_graph)) == 1


async def test_an_unreachable_graph_is_retried_and_reported_as_the_mail_source_failing(unused_tcp_port):
    async with open_graph_client(IssuingCredential("t", Clock()), f"http://127.0.0.1:{unused_tcp_port}/v1.0", 2.0,
                                 FAST) as client:
        with pytest.raises(MailSourceUnavailable, match="kept failing") as gave_up:
            await _resolved(client).messages(ALIAS_BOX, ["AAkALgOne", "AAkALgTwo"])
        assert "fetching messages" in client.failing[ALIAS_BOX]
    assert gave_up.value.status is None


async def test_entra_refusing_the_token_for_a_batch_is_reported_as_before_and_not_retried(fake_graph,
                                                                                          aiohttp_server):
    client_id, secret = "22222222-3333-4444-5555-666666666666", "not-a-real-secret"
    entra = FakeEntra("login.microsoftonline.com", "https://graph.microsoft.com", TENANT_ID, client_id, secret,
                      access_token=fake_graph.token)
    entra.url = str((await aiohttp_server(entra.app())).make_url("")).rstrip("/")
    credential = credential_from(TENANT_ID, client_id, "guessed", None, "login.microsoftonline.com",
                                 transport=entra.transport())
    async with credential, open_graph_client(credential, f"{fake_graph.url}/v1.0", 2.0, FAST,
                                             "https://graph.microsoft.com/.default") as client:
        graph = mail_api(client, fake_graph)
        with pytest.raises(MailSourceUnavailable, match="refused RootMail a Graph token .*AADSTS7000215") as refused:
            await graph.messages(ALIAS_BOX, two_messages(fake_graph))
        assert client.failing[ALIAS_BOX].endswith("token refused")
    assert refused.value.status == 401 and len(entra.requests) == 1 and fake_graph.requests == []
    assert "guessed" not in str(refused.value)


async def test_the_batch_session_is_closed_when_the_client_closes(fake_graph):
    async with open_graph_client(_static(fake_graph), f"{fake_graph.url}/v1.0", 2.0, FAST) as client:
        graph = mail_api(client, fake_graph)
        await graph.messages(ALIAS_BOX, two_messages(fake_graph))
        session = client.batches._session
        assert not session.closed
    assert session.closed


def _static(fake) -> IssuingCredential:
    return IssuingCredential(fake.token, Clock())
