"""The fake Bot Connectors refuse what Teams refuses: a test per rule, so loosening a fake fails here first."""
from __future__ import annotations

import aiohttp

from core.delivery.ratelimit import Window
from tests.fakes.connector import FakeConnector
from tests.fakes.serving import serving
from tests.fakes.teams_limits import TeamsLimitedConnector

ONE = (Window(1, 60.0),)  # one call a minute: the second is over the limit whatever the machine's speed
ACTIVITY = {"type": "message", "conversation": {"id": "19:c", "tenantId": "t"}}


async def limited(aiohttp_client, **options):
    fake = TeamsLimitedConnector(per_conversation=ONE, **options)
    return fake, await aiohttp_client(fake.app())


async def test_a_send_over_the_limit_gets_429_with_retry_after(aiohttp_client):
    fake, client = await limited(aiohttp_client)
    assert (await client.post("/v3/conversations/19:c/activities", json=ACTIVITY)).status == 200

    refused = await client.post("/v3/conversations/19:c/activities", json=ACTIVITY)

    assert refused.status == 429 and int(refused.headers["Retry-After"]) >= 1
    assert (await refused.json())["error"]["code"] == "Throttled"


async def test_a_429_can_come_without_retry_after(aiohttp_client):
    fake, client = await limited(aiohttp_client, retry_after=False)
    await client.post("/v3/conversations/19:c/activities", json=ACTIVITY)

    refused = await client.post("/v3/conversations/19:c/activities", json=ACTIVITY)

    assert refused.status == 429 and "Retry-After" not in refused.headers


async def test_card_updates_count_as_sends_in_their_conversation(aiohttp_client):
    fake, client = await limited(aiohttp_client)
    await client.post("/v3/conversations/19:c/activities", json=ACTIVITY)

    refused = await client.put("/v3/conversations/19:c/activities/activity-1", json=ACTIVITY)

    assert refused.status == 429 and fake.updated == [] and fake.throttled["19:c"] == 1


async def test_opening_1_1_chats_is_throttled_per_user(aiohttp_client):
    fake, client = await limited(aiohttp_client, installed={"29:alice", "29:bob"}, per_create=ONE)

    first = await client.post("/v3/conversations", json={"isGroup": False, "members": [{"id": "29:alice"}]})
    again = await client.post("/v3/conversations", json={"isGroup": False, "members": [{"id": "29:alice"}]})
    other = await client.post("/v3/conversations", json={"isGroup": False, "members": [{"id": "29:bob"}]})

    assert (first.status, again.status) == (201, 429)
    assert other.status == 201  # another user's 1:1 thread has its own windows
    assert fake.throttled["create:29:alice"] == 1


async def test_member_reads_are_throttled_per_team(aiohttp_client):
    fake, client = await limited(aiohttp_client, per_members=ONE)
    fake.rosters["19:team"] = {"29:alice"}

    first = await client.get("/v3/conversations/19:team/members/29:alice")
    paged = await client.get("/v3/conversations/19:team/pagedmembers")
    other = await client.get("/v3/conversations/19:chat/pagedmembers")

    assert (first.status, paged.status) == (200, 429)
    assert other.status == 404  # counted apart: another chat's own windows, and then not a known chat


async def test_a_1_1_chat_is_refused_for_a_user_without_the_app(aiohttp_server):
    fake = await serving(aiohttp_server, FakeConnector(installed={"29:alice"}))
    async with aiohttp.ClientSession() as session:
        refused = await session.post(f"{fake.url}/v3/conversations",
                                     json={"isGroup": False, "members": [{"id": "29:bob"}]})
        body = await refused.json()
        allowed = await session.post(f"{fake.url}/v3/conversations",
                                     json={"isGroup": False, "members": [{"id": "29:alice"}]})

    assert refused.status == 403 and body["error"]["code"] == "BotNotInConversationRoster"
    assert allowed.status == 201 and [c["members"][0]["id"] for c in fake.created] == ["29:alice"]


async def test_the_roster_comes_in_pages_and_an_unknown_conversation_is_404(aiohttp_client):
    fake = FakeConnector()
    fake.rosters["19:team"] = {f"29:user{i:03d}" for i in range(7)}
    fake.profiles["29:user000"] = {"name": "Ann Owner", "aadObjectId": "aad-ann", "userRole": "owner"}
    client = await aiohttp_client(fake.app())

    first = await (await client.get("/v3/conversations/19:team/pagedmembers?pageSize=5")).json()
    rest = await (await client.get(
        f"/v3/conversations/19:team/pagedmembers?pageSize=5&continuationToken={first['continuationToken']}")).json()
    unknown = await client.get("/v3/conversations/19:nowhere/pagedmembers")

    assert [m["id"] for m in first["members"] + rest["members"]] == sorted(fake.rosters["19:team"])
    assert first["members"][0] == {"id": "29:user000", "name": "Ann Owner", "aadObjectId": "aad-ann",
                                   "userRole": "owner"}
    assert "continuationToken" not in rest
    assert unknown.status == 404 and (await unknown.json())["error"]["code"] == "ConversationNotFound"
