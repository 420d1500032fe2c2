"""RootMail's proactive posts carry the bot's token from the authority its type requires: a single-tenant bot's own
tenant (bot-docs rest-api/bot-framework-rest-connector-authentication.md, Step 1). A single-tenant registration run
as MultiTenant, the old default, gets no token at all: every post failed and was retried forever."""
from __future__ import annotations

import pytest

from bot.adapter import bot_adapter
from bot.poster import BotPoster
from bot.service_urls import ServiceUrls
from core.model import Owner
from core.ports import PostFailed
from tests.fakes import teams
from tests.fakes.login import BOT_APP_ID

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "AWS mail"}]}
LOGIN = "https://login.microsoftonline.com"


def owner(service_url: str) -> Owner:
    where = teams.PLATFORM
    return Owner(where.conversation_id, where.channel_name, where.team_id, where.team_name, teams.TENANT, reference={
        "channelId": "msteams", "serviceUrl": service_url, "bot": teams.BOT, "user": teams.ALICE,
        "conversation": {"id": where.conversation_id, "conversationType": "channel", "tenantId": teams.TENANT}})


async def test_a_single_tenant_bots_post_carries_a_token_of_its_own_tenant(connector, make_settings, microsoft,
                                                                          tenant):
    settings = make_settings()
    poster = BotPoster(bot_adapter(settings), BOT_APP_ID, service_urls=ServiceUrls.of(settings))
    try:
        activity_id = await poster.post(owner(connector.url), CARD, "AWS mail")
    finally:
        await poster.close()

    assert activity_id and len(connector.sent) == 1 and connector.refused == []
    token_requests = [call for call in microsoft.calls if call.startswith("POST")]
    assert token_requests == [f"POST {LOGIN}/{tenant.tenant_id}/oauth2/v2.0/token"]


async def test_a_single_tenant_registration_run_as_multi_tenant_gets_no_token_and_never_posts(connector, make_settings,
                                                                                             microsoft):
    settings = make_settings(MicrosoftAppType="MultiTenant", MicrosoftAppTenantId="")
    poster = BotPoster(bot_adapter(settings), BOT_APP_ID, service_urls=ServiceUrls.of(settings))
    try:
        with pytest.raises(PostFailed) as failed:
            await poster.post(owner(connector.url), CARD, "AWS mail")
    finally:
        await poster.close()

    assert not failed.value.permanent  # retried, and refused again each time
    assert f"POST {LOGIN}/botframework.com/oauth2/v2.0/token" in microsoft.calls
    assert connector.requests == 0 and connector.sent == []
