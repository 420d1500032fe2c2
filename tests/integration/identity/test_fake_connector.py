"""The fake Bot Connector takes a call only with the registered bot's Entra token, as the real one does (sources in
tests/fakes/connector_auth.py); every refusal here is one a loosened fake would stop making."""
from __future__ import annotations

from dataclasses import replace

import aiohttp
import pytest
import requests

from tests.fakes.botframework import BOT_FRAMEWORK_TENANT
from tests.fakes.connector import FakeConnector
from tests.fakes.jwks import SigningKey
from tests.fakes.login import BOT_APP_ID, BOT_SECRET
from tests.fakes.serving import serving

ACTIVITY = {"type": "message", "text": "hello"}
DENIED = {"message": "Authorization has been denied for this request."}


def bot_token(tenant: str = "72f988bf-0000-4000-8000-000000000001", **form: str) -> str:
    body = {"grant_type": "client_credentials", "client_id": BOT_APP_ID, "client_secret": BOT_SECRET,
            "scope": "https://api.botframework.com/.default"} | form
    response = requests.post(f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token", data=body, timeout=5)
    return response.json()["access_token"]


async def post(connector, authorization: str | None) -> tuple[int, dict]:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{connector.url}/v3/conversations/19%3Aa%40thread.tacv2/activities", json=ACTIVITY,
                             headers=headers) as response:
            return response.status, await response.json()


async def test_the_bots_own_token_from_its_tenant_is_taken(connector):
    status, body = await post(connector, f"Bearer {bot_token()}")

    assert status == 200 and body["id"] and len(connector.sent) == 1 and connector.refused == []


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic Ym90OnNlY3JldA==", "Bearer not.a.jwt"])
async def test_a_call_without_a_bearer_token_is_refused(connector, authorization):
    status, body = await post(connector, authorization)

    assert (status, body) == (401, DENIED) and connector.sent == []


async def test_tokens_that_are_not_the_bots_are_refused(connector, tenant):
    tenant.resources["https://graph.microsoft.com"] = "1.0"  # the bot may get Graph tokens, useless here
    entra = tenant.published[0]
    forger = SigningKey.new()
    now_claims = {"aud": "https://api.botframework.com", "iss": f"https://sts.windows.net/{tenant.tenant_id}/",
                  "appid": BOT_APP_ID, "exp": 4102444800, "ver": "1.0"}
    tokens = {
        "for Microsoft Graph, not the Bot Connector": bot_token(scope="https://graph.microsoft.com/.default"),
        "expired": entra.sign(now_claims | {"exp": 1_000_000_000}),
        "from the Bot Framework tenant, not the bot's": entra.sign(
            now_claims | {"iss": f"https://sts.windows.net/{BOT_FRAMEWORK_TENANT}/"}),
        "signed by a key Entra does not publish": forger.sign(now_claims),
        "forged under a published key id": forger.sign(now_claims, {"kid": entra.kid}),
        "unsigned": "eyJhbGciOiJub25lIn0." + entra.sign(now_claims).split(".")[1] + ".",
    }
    for why, token in tokens.items():
        status, body = await post(connector, f"Bearer {token}")
        assert (status, body) == (401, DENIED), why
    assert connector.sent == [] and len(connector.refused) == len(tokens)


async def test_a_good_token_of_another_app_is_no_registered_bot(connector, tenant):
    other = "00000000-0000-4000-8000-0000000000b2"
    tenant.apps[other] = replace(tenant.apps[BOT_APP_ID])

    status, body = await post(connector, f"Bearer {bot_token(client_id=other)}")

    assert status == 401 and body["error"]["code"] == "BotNotRegistered" and connector.sent == []


async def test_a_multi_tenant_bot_must_bring_a_token_of_the_bot_framework_tenant(aiohttp_server, bot, tenant):
    connector = await serving(aiohttp_server, FakeConnector(bot=replace(bot, app_type="MultiTenant")))
    tenant.apps[BOT_APP_ID].multi_tenant = True

    own_tenant = await post(connector, f"Bearer {bot_token()}")
    framework = await post(connector, f"Bearer {bot_token('botframework.com')}")

    assert own_tenant == (401, DENIED) and framework[0] == 200


async def test_without_a_registered_bot_it_is_the_playgrounds_unauthenticated_connector(aiohttp_server):
    connector = await serving(aiohttp_server, FakeConnector())

    status, _ = await post(connector, None)

    assert status == 200 and len(connector.sent) == 1
