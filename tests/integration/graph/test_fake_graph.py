"""The fake Graph refuses what Microsoft Graph refuses, one test per rule (the rules and their sources are in
tests/fakes/graph/): loosening the fake fails here, so a client bug it would hide cannot pass unnoticed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import aiohttp
import pytest

from tests.fakes.graph.harness import ALIAS_BOX, ALIAS_BOX_UPN, ALIASES, PLUS_BOX, fake_graph  # noqa: F401
from tests.fakes.graph.server import NOT_SEQUENTIAL

T0 = datetime.now(timezone.utc)  # RootMail's now in this test (the fake Graph lives in the real clock)

IMMUTABLE = {"Prefer": 'IdType="ImmutableId"'}


class Wire:
    """Raw HTTP to the fake, as any Graph client would send it."""

    def __init__(self, fake, session: aiohttp.ClientSession):
        self.fake, self.session = fake, session

    async def call(self, method: str, path: str, body=None, headers=None, **query) -> tuple[int, dict]:
        url = path if path.startswith("http") else f"{self.fake.url}/v1.0{path}"
        async with self.session.request(method, url, json=body, params=query or None, headers={
                "Authorization": f"Bearer {self.fake.token}", **(headers or {})}) as response:
            return response.status, await response.json()

    async def batch(self, *steps: dict) -> tuple[int, dict]:
        return await self.call("POST", "/$batch", {"requests": list(steps)})


@pytest.fixture
async def wire(fake_graph):
    async with aiohttp.ClientSession() as session:
        yield Wire(fake_graph, session)


def patch(n: str, url: str, **extra) -> dict:
    return {"id": n, "method": "PATCH", "url": url, "body": {"isRead": True},
            "headers": {"Content-Type": "application/json"}, **extra}


# --- JSON batching ------------------------------------------------------------------------------------------------
async def test_a_batch_mixing_dependent_and_independent_requests_is_refused(wire, fake_graph):
    box = fake_graph.mailbox(ALIAS_BOX)
    first, second = (fake_graph.deliver(ALIAS_BOX, to=[ALIASES[0]]) for _ in range(2))
    url = f"/users/{box.id}/messages/"
    shape = [patch("0r", url + first.id), {"id": "0m", "method": "POST", "url": url + first.id + "/move",
                                           "dependsOn": ["0r"], "body": {"destinationId": "inbox"},
                                           "headers": {"Content-Type": "application/json"}},
             patch("1r", url + second.id), {"id": "1m", "method": "POST", "url": url + second.id + "/move",
                                            "dependsOn": ["1r"], "body": {"destinationId": "inbox"},
                                            "headers": {"Content-Type": "application/json"}}]

    status, body = await wire.batch(*shape)  # what RootMail used to send for two messages

    assert status == 400 and body["error"] == {**body["error"], "code": "BadRequest", "message": NOT_SEQUENTIAL}
    assert not first.data["isRead"] and not second.data["isRead"]  # nothing ran


@pytest.mark.parametrize("depends", [
    [[], [], []],  # parallel
    [[], ["a"], ["b"]],  # one sequential chain
    [[], ["a"], ["a"]],  # every dependent names the same request
])
async def test_the_three_batch_shapes_graph_runs(depends, wire, fake_graph):
    box = fake_graph.mailbox(ALIAS_BOX)
    messages = [fake_graph.deliver(ALIAS_BOX, to=[ALIASES[0]]) for _ in range(3)]
    steps = [patch(n, f"/users/{box.id}/messages/{m.id}", **({"dependsOn": d} if d else {}))
             for n, m, d in zip("abc", messages, depends)]

    status, body = await wire.batch(*steps)

    assert status == 200 and sorted(r["status"] for r in body["responses"]) == [200, 200, 200]


@pytest.mark.parametrize("steps, problem", [
    ([{"id": "A", "method": "GET", "url": "/users"}, {"id": "a", "method": "GET", "url": "/users"}], "unique"),
    ([{"id": "1", "method": "PATCH", "url": "/users/x/messages/y", "body": {"isRead": True}}], "Content-Type"),
    ([{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["2"]}], "not in the batch"),
    ([{"id": str(n), "method": "GET", "url": "/users"} for n in range(21)], "1 to 20"),
])
async def test_a_malformed_batch_is_refused_as_a_whole(steps, problem, wire):
    status, body = await wire.batch(*steps)

    assert status == 400 and body["error"]["code"] == "BadRequest" and problem in body["error"]["message"]


# --- users: by object id or userPrincipalName only -----------------------------------------------------------------
async def test_a_user_is_found_by_object_id_or_upn_but_not_by_an_smtp_address(wire, fake_graph):
    box = fake_graph.mailbox(ALIAS_BOX)

    by_id, by_upn = await wire.call("GET", f"/users/{box.id}"), await wire.call("GET", f"/users/{ALIAS_BOX_UPN}")
    as_user, user_body = await wire.call("GET", f"/users/{ALIAS_BOX}")
    as_mailbox, mail_body = await wire.call("GET", f"/users/{quote(ALIAS_BOX)}/mailFolders/inbox/messages/delta")

    assert by_id[0] == by_upn[0] == 200 and by_id[1]["id"] == by_upn[1]["id"] == box.id
    assert (as_user, user_body["error"]["code"]) == (404, "Request_ResourceNotFound")
    assert (as_mailbox, mail_body["error"]["code"]) == (404, "ErrorInvalidUser")


async def test_users_are_found_by_mail_or_proxy_address_filters_only(wire, fake_graph):
    box = fake_graph.mailbox(ALIAS_BOX)

    by_mail = await wire.call("GET", "/users", **{"$filter": f"mail eq '{ALIAS_BOX}'"})
    by_alias = await wire.call("GET", "/users", **{"$filter": f"proxyAddresses/any(p:p eq 'smtp:{ALIASES[3]}')"})
    wrong_prefix = await wire.call("GET", "/users", **{"$filter": f"proxyAddresses/any(p:p eq 'SMTP:{ALIASES[3]}')"})
    unsupported = await wire.call("GET", "/users", **{"$filter": f"endswith(mail,'{ALIAS_BOX}')"})

    assert [u["id"] for u in by_mail[1]["value"]] == [u["id"] for u in by_alias[1]["value"]] == [box.id]
    assert wrong_prefix[1]["value"] == []  # proxy addresses compare exactly (see directory.py)
    assert unsupported[0] == 400 and unsupported[1]["error"]["code"] == "Request_UnsupportedQuery"


# --- message ids change on move unless ImmutableId was asked for -----------------------------------------------------
async def test_a_moved_message_gets_a_new_id_unless_immutable_ids_were_asked_for(wire, fake_graph):
    box = fake_graph.mailbox(ALIAS_BOX)
    plain, kept = (fake_graph.deliver(ALIAS_BOX, to=[ALIASES[0]]) for _ in range(2))
    _, before = await wire.call("GET", f"/users/{box.id}/messages/{plain.rest_id}")
    move = {"destinationId": "junkemail"}

    _, moved = await wire.call("POST", f"/users/{box.id}/messages/{before['id']}/move", move)
    _, moved_kept = await wire.call("POST", f"/users/{box.id}/messages/{kept.id}/move", move, IMMUTABLE)
    gone, _ = await wire.call("GET", f"/users/{box.id}/messages/{before['id']}")

    assert moved["id"] != before["id"] and gone == 404  # the id RootMail kept no longer finds the message
    assert moved_kept["id"] == kept.id and (await wire.call("GET", f"/users/{box.id}/messages/{kept.id}"))[0] == 200


async def test_inside_a_batch_only_a_requests_own_prefer_header_counts(wire, fake_graph):
    box = fake_graph.mailbox(ALIAS_BOX)
    message = fake_graph.deliver(ALIAS_BOX, to=[ALIASES[0]])
    step = {"id": "1", "method": "GET", "url": f"/users/{box.id}/messages/{message.id}"}

    async with wire.session.post(f"{fake_graph.url}/v1.0/$batch", json={"requests": [step]}, headers={
            "Authorization": f"Bearer {fake_graph.token}", **IMMUTABLE}) as response:  # on the batch: ignored
        outer = (await response.json())["responses"][0]["body"]
    _, inner = await wire.batch({**step, "headers": IMMUTABLE})

    assert outer["id"] == message.rest_id and inner["responses"][0]["body"]["id"] == message.id


# --- delta: a filtered round stops at 5,000; updated entries carry only what changed ---------------------------------
async def test_a_filtered_delta_round_returns_at_most_5000_messages_the_newest(wire, fake_graph):
    box = fake_graph.mailbox(PLUS_BOX)
    for n in range(5003):
        fake_graph.deliver(PLUS_BOX, to=[PLUS_BOX], subject=f"m{n}", received=T0 - timedelta(minutes=n))
    seen, link = [], f"/users/{box.id}/mailFolders/inbox/messages/delta"
    query = {"$filter": f"receivedDateTime ge {(T0 - timedelta(days=30)):%Y-%m-%dT%H:%M:%SZ}", "$select": "subject"}
    while link:
        _, page = await wire.call("GET", link, None, {"Prefer": "odata.maxpagesize=1000"}, **query)
        seen += [m["subject"] for m in page["value"]]
        link, query = page.get("@odata.nextLink"), {}
    _, listed = await wire.call("GET", f"/users/{box.id}/mailFolders/inbox/messages", **{
        "$filter": f"receivedDateTime ge {(T0 - timedelta(days=30)):%Y-%m-%dT%H:%M:%SZ}", "$top": "1000"})

    assert len(seen) == 5000 and {"m5000", "m5001", "m5002"}.isdisjoint(seen)  # the three oldest left out
    assert "@odata.nextLink" in listed  # a plain list is not capped


async def test_an_updated_message_comes_back_with_only_what_changed(wire, fake_graph):
    box = fake_graph.mailbox(PLUS_BOX)
    message = fake_graph.deliver(PLUS_BOX, to=[PLUS_BOX])
    link = f"/users/{box.id}/mailFolders/inbox/messages/delta"
    _, first = await wire.call("GET", link, None, IMMUTABLE, **{"$select": "subject,toRecipients"})
    await wire.call("PATCH", f"/users/{box.id}/messages/{message.id}", {"isRead": True})

    _, second = await wire.call("GET", first["@odata.deltaLink"], None, IMMUTABLE)

    [entry] = second["value"]
    assert entry["id"] == message.id and entry["isRead"] is True and "toRecipients" not in entry


async def test_delta_refuses_filters_other_than_received_date(wire, fake_graph):
    box = fake_graph.mailbox(PLUS_BOX)

    status, body = await wire.call("GET", f"/users/{box.id}/mailFolders/inbox/messages/delta",
                                   **{"$filter": "isRead eq false"})

    assert status == 400 and body["error"]["code"] == "ErrorInvalidUrlQueryFilter"


async def test_notifications_carry_immutable_ids_only_for_a_subscription_created_asking_for_them(
        wire, fake_graph, aiohttp_server):
    received: list[dict] = []

    async def endpoint(request):
        if "validationToken" in request.query:
            return aiohttp.web.Response(text=request.query["validationToken"], content_type="text/plain")
        received.extend((await request.json())["value"])
        return aiohttp.web.Response(status=202)
    app = aiohttp.web.Application()
    app.router.add_post("/hook", endpoint)
    hook = str((await aiohttp_server(app)).make_url("/hook"))
    box = fake_graph.mailbox(PLUS_BOX)
    subscription = {"changeType": "created", "notificationUrl": hook, "clientState": "x" * 32,
                    "resource": f"users/{box.id}/mailFolders('inbox')/messages",
                    "expirationDateTime": (fake_graph.state.now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    await wire.call("POST", "/subscriptions", subscription)  # without Prefer: IdType="ImmutableId"
    await wire.call("POST", "/subscriptions", subscription, IMMUTABLE)
    message = fake_graph.deliver(PLUS_BOX, to=[PLUS_BOX])

    await fake_graph.notify(message, PLUS_BOX)

    assert sorted(item["resourceData"]["id"] for item in received) == sorted([message.id, message.rest_id])
    by_address, _ = await wire.call("POST", "/subscriptions", {  # ALIAS_BOX's address is not its UPN
        **subscription, "resource": f"users/{ALIAS_BOX}/mailFolders('inbox')/messages"})
    assert by_address == 400  # a subscription's resource names its user by id or UPN too
