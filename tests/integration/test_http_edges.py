"""What the HTTP edge does with things that are not good activities, and the health endpoints."""
from __future__ import annotations

from tests.fakes import teams


async def test_health_and_readiness(rootmail):
    alive = await rootmail.client.get("/healthz")
    assert alive.status == 200 and (await alive.json())["status"] == "alive"
    ready = await rootmail.client.get("/readyz")
    body = await ready.json()
    assert ready.status == 200 and body["checks"] == {"store": "ok"}


async def test_not_json_is_refused_with_a_clear_error(rootmail):
    response = await rootmail.client.post("/api/messages", data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status == 400 and "not valid JSON" in (await response.json())["detail"]
    response = await rootmail.client.post("/api/messages", data=b"hello", headers={"Content-Type": "text/plain"})
    assert response.status == 415


async def test_json_that_is_not_an_activity_is_refused(rootmail):
    for body in ([1, 2], {"text": "hi"}, {"type": "message"}, {"type": "message", "conversation": "x"}):
        response = await rootmail.client.post("/api/messages", json=body)
        assert response.status == 400, body


async def test_invoke_with_garbage_value_answers_with_a_card_not_a_crash(rootmail):
    activity = teams.execute("no-such-verb", {}, teams.PLATFORM, rootmail.connector.url)
    activity["value"] = "garbage"
    response = await rootmail.send(activity)
    assert response.status == 200
    assert "out of date" in str(await response.json())


async def test_hostile_command_text_is_answered_with_a_help_card(rootmail):
    card = await rootmail.say("lookup " + "{{DATE(2017-02-14T06:08:39Z)}} [x](http://evil) " * 400)
    assert card["type"] == "AdaptiveCard"


async def test_with_an_app_id_activities_without_a_valid_token_are_refused(aiohttp_client, connector, make_settings):
    from app import create_app

    settings = make_settings(MicrosoftAppId="9b5c3f3e-0000-4000-8000-000000000001", MicrosoftAppPassword="secret",
                             MicrosoftAppTenantId="72f988bf-0000-4000-8000-000000000001")
    client = await aiohttp_client(create_app(settings))
    activity = teams.message("new", teams.PLATFORM, connector.url)
    unsigned = await client.post("/api/messages", json=activity)
    forged = await client.post("/api/messages", json=activity, headers={"Authorization": "Bearer not.a.jwt"})
    assert unsigned.status == 401 and forged.status == 401
    assert connector.sent == []
