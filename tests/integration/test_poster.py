"""The proactive poster against a loopback Bot Connector: the wire format, the bearer token, and every failure."""
from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import MicrosoftAppCredentials

from bot.poster import BotPoster
from bot.service_urls import ServiceUrls
from core.model import Owner
from core.ports import PostFailed

CHANNEL = "19:abc@thread.tacv2;messageid=1700000000000"
CARD = {"type": "AdaptiveCard", "version": "1.5",
        "body": [{"type": "TextBlock", "text": "Código <b>&amp;</b> \u202e\U0001F511 \"quoted\"", "wrap": True}]}
APP_ID = "00000000-0000-0000-0000-0000000000aa"


class Connector:
    def __init__(self):
        self.requests: list[tuple[str, dict, bytes]] = []
        self.answers: list[tuple[int, dict, str]] = []  # given in order before answering 201 {"id": ...}
        self.hang = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.raw_path, dict(request.headers), await request.read()))
        if self.hang:
            await asyncio.sleep(self.hang)
        if self.answers:
            status, headers, body = self.answers.pop(0)
            return web.Response(status=status, headers=headers, text=body, content_type="application/json")
        return web.json_response({"id": f"1:{len(self.requests)}"}, status=201)


@pytest.fixture
async def connector(aiohttp_server):
    fake = Connector()
    app = web.Application()
    app.router.add_post("/{tail:.*}", fake.handle)
    server = await aiohttp_server(app)
    fake.url = str(server.make_url("/"))
    return fake


def owner(service_url: str) -> Owner:
    return Owner("19:abc@thread.tacv2", "Platform", "19:team@thread.tacv2", "Cloud", "tenant-1", reference={
        "activityId": "1700000000000", "channelId": "msteams", "locale": "en-US", "serviceUrl": service_url,
        "bot": {"id": "28:rootmail", "name": "RootMail"}, "user": {"id": "29:alice", "name": "Alice"},
        "conversation": {"id": CHANNEL, "isGroup": True, "conversationType": "channel", "tenantId": "tenant-1"}})


def poster(app_id: str = "", timeout: float = 5.0) -> BotPoster:
    config = SimpleNamespace(APP_ID=app_id, APP_PASSWORD="secret" if app_id else "", APP_TYPE="MultiTenant",
                             APP_TENANTID="")
    # the fake Bot Connector listens on loopback, where Teams' own host would be (ROOTMAIL_SERVICE_URL_HOSTS)
    return BotPoster(CloudAdapter(ConfigurationBotFrameworkAuthentication(config)), app_id, timeout,
                     service_urls=ServiceUrls(bool(app_id), frozenset({"127.0.0.1"})))


async def test_a_post_is_the_bot_connector_send_to_conversation_call(connector):
    sender = poster()
    try:
        posted = await sender.post(owner(connector.url), CARD, "AWS billing notice " + "x" * 200)
    finally:
        await sender.close()

    path, headers, body = connector.requests[0]
    activity = json.loads(body)
    assert posted == "1:1"
    assert path == "/v3/conversations/19%3Aabc%40thread.tacv2%3Bmessageid%3D1700000000000/activities"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert "Authorization" not in headers  # no app id: the local, unauthenticated Bot Framework set-up
    assert activity == {
        "type": "message", "serviceUrl": connector.url, "channelId": "msteams", "locale": "en-US",
        "from": {"id": "28:rootmail", "name": "RootMail"}, "recipient": {"id": "29:alice", "name": "Alice"},
        "conversation": {"id": CHANNEL, "isGroup": True, "conversationType": "channel", "tenantId": "tenant-1"},
        "summary": ("AWS billing notice " + "x" * 200)[:120],
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": CARD}]}


async def test_the_bearer_token_comes_from_botbuilder_credentials_and_is_fetched_again_after_a_401(
        connector, monkeypatch):
    issued = []

    def get_access_token(self, force_refresh=False):
        assert (self.microsoft_app_id, self.oauth_scope) == (APP_ID, "https://api.botframework.com")
        issued.append(f"token-{len(issued) + 1}")
        return issued[-1]
    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", get_access_token)
    connector.answers = [(201, {}, '{"id": "a"}'), (401, {}, "{}")]
    sender = poster(APP_ID)
    try:
        await sender.post(owner(connector.url), CARD, "one")
        with pytest.raises(PostFailed) as refused:
            await sender.post(owner(connector.url), CARD, "two")
        await sender.post(owner(connector.url), CARD, "three")
    finally:
        await sender.close()

    assert [h["Authorization"] for _, h, _ in connector.requests] == [
        "Bearer token-1", "Bearer token-1", "Bearer token-2"]
    assert not refused.value.permanent  # the next attempt carries a fresh token


@pytest.mark.parametrize("status, headers, permanent, retry_after", [
    (429, {"Retry-After": "3"}, False, 3.0),
    (412, {}, False, None),
    (502, {}, False, None),
    (403, {}, True, None),
    (404, {}, True, None),
])
async def test_an_error_answer_becomes_a_post_failure_with_the_servers_hint(connector, status, headers, permanent,
                                                                           retry_after):
    connector.answers = [(status, headers, '{"error": {"code": "X"}}')]
    sender = poster()
    try:
        with pytest.raises(PostFailed) as failed:
            await sender.post(owner(connector.url), CARD, "s")
    finally:
        await sender.close()

    assert (failed.value.permanent, failed.value.retry_after, failed.value.uncertain) == (permanent, retry_after, False)
    assert str(status) in failed.value.reason


async def test_no_answer_in_time_is_an_uncertain_failure(connector):
    connector.hang = 1.0
    sender = poster(timeout=0.2)
    try:
        with pytest.raises(PostFailed) as failed:
            await sender.post(owner(connector.url), CARD, "s")
    finally:
        await sender.close()

    assert failed.value.uncertain and not failed.value.permanent


async def test_an_unreachable_connector_and_a_missing_reference_fail_clearly(unused_tcp_port):
    sender = poster()
    try:
        with pytest.raises(PostFailed) as unreachable:
            await sender.post(owner(f"http://127.0.0.1:{unused_tcp_port}/"), CARD, "s")
        with pytest.raises(PostFailed) as nowhere:
            await sender.post(Owner("19:gone@thread.tacv2"), CARD, "s")
    finally:
        await sender.close()

    assert "unreachable" in unreachable.value.reason and not unreachable.value.uncertain
    assert nowhere.value.permanent


async def test_an_accepted_post_without_a_readable_id_still_counts_as_posted(connector):
    connector.answers = [(200, {}, ""), (201, {}, "not json")]
    sender = poster()
    try:
        assert await sender.post(owner(connector.url), CARD, "s") == ""
        assert await sender.post(owner(connector.url), CARD, "s") == ""
    finally:
        await sender.close()
