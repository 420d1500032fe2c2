"""Without MicrosoftAppId (`make run`, loopback only) a web page open in a browser on the same machine, or one that
re-binds its DNS name to 127.0.0.1, posted activities to /api/messages: it transferred an address as a made-up admin,
had the next mail posted to its own serviceUrl, and revealed the code. Each step is refused now."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import MicrosoftAppCredentials

from bot.poster import BotPoster
from core.model import Owner
from core.ports import PostFailed
from tests.cardwalk import text
from tests.fakes import teams
from tests.integration.test_bot_commands import allocate

CAROL = {"id": "29:carol", "name": "Carol", "aadObjectId": "aad-carol"}


async def _posted(rootmail, body: bytes | dict, **headers: str):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await rootmail.client.post("/api/messages", data=data, headers=headers)


async def test_a_cross_site_form_post_as_text_plain_is_refused(unsigned):
    rootmail = await unsigned()
    activity = teams.message("new", teams.PLATFORM, rootmail.connector.url)

    response = await _posted(rootmail, activity, **{"Content-Type": "text/plain;x=application/json"})

    assert response.status == 415 and rootmail.connector.sent == []
    assert await rootmail.store.get_conversation(teams.PLATFORM.conversation_id) is None


@pytest.mark.parametrize("headers", [{"Origin": "https://attacker.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}], ids=["origin", "null-origin", "sec-fetch"])
async def test_a_post_a_browser_makes_is_refused_without_authentication(unsigned, headers):
    rootmail = await unsigned()
    activity = teams.message("new", teams.PLATFORM, rootmail.connector.url)

    response = await _posted(rootmail, activity, **({"Content-Type": "application/json"} | headers))

    assert response.status == 403 and rootmail.connector.sent == []
    assert await rootmail.store.get_conversation(teams.PLATFORM.conversation_id) is None


async def test_a_dns_rebinding_page_is_refused_by_its_host_name(unsigned):
    rootmail = await unsigned()
    activity = teams.message("new", teams.PLATFORM, rootmail.connector.url)

    response = await _posted(rootmail, activity, **{"Content-Type": "application/json",
                                                     "Host": "rebind.attacker.example:3978"})

    assert response.status == 403 and rootmail.connector.sent == []


async def test_a_made_up_admin_cannot_transfer_an_address_without_authentication(unsigned):
    rootmail = await unsigned(ROOTMAIL_ADMINS="aad-carol")
    await allocate(rootmail)
    address = (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 1)).items[0].address

    answer = await rootmail.say(f"transfer {address}", teams.PAYMENTS, CAROL)
    status = await rootmail.say("status", teams.PERSONAL, CAROL)  # claiming the admin conversation's id

    assert "Transfer requested" in text(answer)  # asked of the owning channel, not done
    assert (await rootmail.store.get_address(address)).owner.conversation_id == teams.PLATFORM.conversation_id
    assert "Only admins can see the status" in text(status)


@pytest.mark.parametrize("service_url", ["https://collector.attacker.example/", "http://10.1.2.3:8080/",
                                         "http://127.0.0.1@collector.attacker.example/"])
async def test_an_activity_bringing_a_remote_service_url_is_refused_and_never_remembered(unsigned, service_url):
    rootmail = await unsigned()
    activity = teams.message("help", teams.PLATFORM, service_url)

    response = await _posted(rootmail, activity, **{"Content-Type": "application/json"})

    assert response.status == 403
    assert await rootmail.store.get_conversation(teams.PLATFORM.conversation_id) is None


async def test_with_authentication_a_stored_service_url_that_is_not_teams_is_never_posted_to(connector, monkeypatch):
    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", lambda self, force_refresh=False: "token")
    config = SimpleNamespace(APP_ID="00000000-0000-0000-0000-0000000000aa", APP_PASSWORD="secret",
                             APP_TYPE="MultiTenant", APP_TENANTID="")
    poster = BotPoster(CloudAdapter(ConfigurationBotFrameworkAuthentication(config)), config.APP_ID, 5.0)
    owner = Owner(teams.PLATFORM.conversation_id, reference={
        "serviceUrl": connector.url, "channelId": "msteams", "bot": teams.BOT,
        "conversation": {"id": teams.PLATFORM.conversation_id}})
    try:
        with pytest.raises(PostFailed) as refused:
            await poster.post(owner, {"type": "AdaptiveCard", "version": "1.5", "body": []}, "mail")
    finally:
        await poster.close()

    assert refused.value.permanent and connector.requests == 0 and connector.sent == []
