"""Bearer tokens whose header is not what Entra ID or the Bot Framework write: refused with 401, never a 500 with a
traceback (PyJWT refuses a non-string `kid` with InvalidTokenError, which is not a DecodeError)."""
from __future__ import annotations

import base64
import json

import pytest

from app import create_app
from tests.fakes import teams


def _forged(header: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part(header)}.{part({'aud': 'api://rootmail-test', 'exp': 4102444800})}.c2lnbmF0dXJl"


@pytest.mark.parametrize("kid", [123, None, ["kid"], {"kid": "x"}], ids=["number", "null", "list", "object"])
async def test_a_jwt_whose_kid_is_not_a_string_gets_401_on_the_api_and_the_bot_endpoint(
        api, aiohttp_client, connector, make_settings, kid):
    token = _forged({"alg": "RS256", "typ": "JWT", "kid": kid})
    posted = len(connector.sent)

    response = await api.client.get("/api/v1/addresses", headers={"Authorization": f"Bearer {token}"})
    problem = await response.json(content_type=None)
    bot = await aiohttp_client(create_app(make_settings(MicrosoftAppId="9b5c3f3e-0000-4000-8000-000000000001",
                                                        MicrosoftAppPassword="secret")))
    activity = await bot.post("/api/messages", json=teams.message("new", teams.PLATFORM, connector.url),
                              headers={"Authorization": f"Bearer {token}"})

    assert response.status == 401 and problem["type"] == "/api/v1/problems/invalid-token"
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert activity.status == 401 and len(connector.sent) == posted
