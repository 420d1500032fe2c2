"""Activities reach RootMail only with the token Teams signs (sources in bot/adapter.py and
tests/fakes/botframework.py), for a single-tenant bot as for a legacy multi-tenant one; RootMail's own calls carry a
token from the authority its type requires. Everything else is 401, and nothing is posted."""
from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from app import create_app
from tests.fakes import teams
from tests.fakes.botframework import ENDORSEMENTS
from tests.fakes.connector import FakeConnector
from tests.fakes.jwks import SigningKey
from tests.fakes.login import BOT_APP_ID
from tests.fakes.serving import serving
from tests.integration.conftest import Harness

LOGIN = "https://login.microsoftonline.com"


@pytest.fixture(params=["SingleTenant", "MultiTenant"])
async def rootmail(request, aiohttp_client, aiohttp_server, make_settings, bot, tenant):
    """RootMail as a single-tenant bot (every bot created since 2025-07-31) or a legacy multi-tenant one."""
    if request.param == "MultiTenant":
        tenant.apps[BOT_APP_ID].multi_tenant = True
        bot = replace(bot, app_type="MultiTenant")
        settings = make_settings(MicrosoftAppType="MultiTenant", MicrosoftAppTenantId="")
    else:
        settings = make_settings()
    connector = await serving(aiohttp_server, FakeConnector(bot=bot))
    return Harness(await aiohttp_client(create_app(settings)), connector)


async def test_teams_token_is_accepted_and_the_reply_carries_a_token_from_the_right_authority(rootmail, microsoft,
                                                                                             tenant):
    card = await rootmail.say("help")

    authority = "botframework.com" if rootmail.connector.bot.app_type == "MultiTenant" else tenant.tenant_id
    assert card["type"] == "AdaptiveCard" and rootmail.connector.refused == []
    assert f"POST {LOGIN}/{authority}/oauth2/v2.0/token" in microsoft.calls
    assert not [call for call in microsoft.calls if "/oauth2/" in call and f"/{authority}/" not in call]


def forged(rootmail, tenant, why: str) -> dict[str, str]:
    """The Authorization header of a token Teams would not send, for an activity to the Platform channel."""
    channel, url = rootmail.connector.bot.channel, rootmail.connector.url
    good = channel.published[0]
    entra = {"aud": BOT_APP_ID, "tid": tenant.tenant_id, "appid": "00000000-0000-4000-8000-0000000000c3",
             "nbf": 1_700_000_000, "exp": 4_102_444_800}
    tokens = {
        "unsigned": "eyJhbGciOiJub25lIn0." + channel.activity_token(BOT_APP_ID, url).split(".")[1] + ".",
        "signed by a key the Bot Framework does not publish": channel.activity_token(BOT_APP_ID, url,
                                                                                     key=SigningKey.shared("stranger")),
        "forged under a published key id": SigningKey.shared("stranger").sign(
            {"iss": "https://api.botframework.com", "aud": BOT_APP_ID, "serviceurl": url, "exp": 4_102_444_800},
            {"kid": good.kid}),
        "for another bot": channel.activity_token("00000000-0000-4000-8000-0000000000b2", url),
        "expired": channel.activity_token(BOT_APP_ID, url, expires_in=-3600),
        "for another service URL (would get RootMail's own token sent there)": channel.activity_token(
            BOT_APP_ID, "https://attacker.example.com/"),
        "issued by Entra ID for the bot's tenant (v1.0)": tenant.published[0].sign(
            entra | {"iss": f"https://sts.windows.net/{tenant.tenant_id}/", "ver": "1.0"}),
        "issued by Entra ID for the bot's tenant (v2.0)": tenant.published[0].sign(
            entra | {"iss": f"{LOGIN}/{tenant.tenant_id}/v2.0", "ver": "2.0", "azp": entra["appid"]}),
        "issued by Entra ID for another tenant": tenant.published[0].sign(
            entra | {"iss": "https://sts.windows.net/00000000-0000-4000-8000-00000000dead/", "ver": "1.0"}),
    }
    return {"Authorization": f"Bearer {tokens[why]}"} if why else {}


REFUSED = ["", "unsigned", "signed by a key the Bot Framework does not publish", "forged under a published key id",
           "for another bot", "expired", "for another service URL (would get RootMail's own token sent there)",
           "issued by Entra ID for the bot's tenant (v1.0)", "issued by Entra ID for the bot's tenant (v2.0)",
           "issued by Entra ID for another tenant"]


@pytest.mark.parametrize("why", REFUSED, ids=lambda why: why or "no token")
async def test_anything_but_teams_token_is_refused_with_401_and_nothing_is_posted(rootmail, tenant, why):
    activity = teams.message("help", teams.PLATFORM, rootmail.connector.url)

    response = await rootmail.client.post("/api/messages", json=activity, headers=forged(rootmail, tenant, why))

    assert response.status == 401, await response.text()
    assert rootmail.connector.sent == [] and rootmail.connector.requests == 0


async def test_a_key_not_endorsed_for_teams_is_refused(rootmail):
    """bot-docs: a token for channel msteams must be signed by a key endorsed for msteams (the page asks for 403;
    botbuilder answers every refusal 401)."""
    webchat_only = SigningKey.shared("webchat-only", ("webchat",))
    rootmail.connector.bot.channel.published.append(webchat_only)
    activity = teams.message("help", teams.PLATFORM, rootmail.connector.url)
    token = rootmail.connector.bot.channel.activity_token(BOT_APP_ID, rootmail.connector.url, key=webchat_only)

    response = await rootmail.client.post("/api/messages", json=activity, headers={"Authorization": f"Bearer {token}"})

    assert response.status == 401 and rootmail.connector.sent == []
    assert "msteams" in ENDORSEMENTS and "msteams" not in webchat_only.endorsements


async def test_an_entra_token_of_the_bots_own_tenant_is_refused_loudly(rootmail, tenant, caplog):
    activity = teams.message("help", teams.PLATFORM, rootmail.connector.url)
    headers = forged(rootmail, tenant, "issued by Entra ID for the bot's tenant (v1.0)")

    with caplog.at_level(logging.INFO, logger="bot.adapter"):
        response = await rootmail.client.post("/api/messages", json=activity, headers=headers)

    assert response.status == 401
    if rootmail.connector.bot.app_type == "SingleTenant":
        [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert "issued by Entra ID for the bot's own tenant" in record.getMessage()
        assert record.issuer == f"https://sts.windows.net/{tenant.tenant_id}/"
    assert headers["Authorization"].split(" ")[1] not in caplog.text
