"""The fake Graph lives in the time it is given, or the real one: never on a fixed date that a benchmark or a test
outlives (a fake stuck on a date refused every subscription a week after it, and bench.graph died with it)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from aiohttp import web

from tests.fakes.graph.server import FakeGraph
from tests.fakes.graph.state import GraphState

# Outlook message subscriptions without resource data live at most 10,080 minutes, counted from Graph's now
# ("Maximum length of subscription per resource type", https://learn.microsoft.com/en-us/graph/api/resources/subscription)
MAX_MINUTES = 10080


async def graph_and_listener(aiohttp_server, graph: FakeGraph) -> str:
    """Serve the fake and a notification URL that passes Graph's validation handshake; the listener's URL."""
    server = await aiohttp_server(graph.app())
    graph.url = str(server.make_url("")).rstrip("/")
    graph.add_mailbox("aws-root-01@example.com", ["aws-0001@example.com"])

    async def echo(request: web.Request) -> web.Response:
        if "validationToken" not in request.query:
            return web.Response(status=202)  # a change notification
        return web.Response(text=request.query["validationToken"], content_type="text/plain")
    listener = web.Application()
    listener.router.add_post("/notify", echo)
    return str((await aiohttp_server(listener)).make_url("/notify"))


async def subscribe(client, graph: FakeGraph, url: str, expires: datetime):
    return await client.post(f"{graph.url}/v1.0/subscriptions", headers={"Authorization": f"Bearer {graph.token}"},
                             json={"changeType": "created", "notificationUrl": url, "clientState": "s",
                                   "resource": "users/aws-root-01@example.com/mailFolders('Inbox')/messages",
                                   "expirationDateTime": expires.strftime("%Y-%m-%dT%H:%M:%SZ")})


async def test_without_a_clock_the_fake_lives_in_real_time(aiohttp_server, aiohttp_client):
    graph = FakeGraph()
    url = await graph_and_listener(aiohttp_server, graph)
    client = await aiohttp_client(web.Application())
    real_now = datetime.now(timezone.utc)

    accepted = await subscribe(client.session, graph, url, real_now + timedelta(days=3))
    assert accepted.status == 201, await accepted.text()
    assert abs(graph.state.now - real_now) < timedelta(minutes=1)


async def test_the_fake_refuses_an_expiry_past_the_limit_or_in_the_past_of_its_now(aiohttp_server, aiohttp_client):
    graph = FakeGraph()
    url = await graph_and_listener(aiohttp_server, graph)
    client = await aiohttp_client(web.Application())

    too_far = await subscribe(client.session, graph, url, graph.state.now + timedelta(minutes=MAX_MINUTES + 5))
    past = await subscribe(client.session, graph, url, graph.state.now - timedelta(minutes=5))
    assert too_far.status == 400 and "10080 minutes" in (await too_far.json())["error"]["message"]
    assert past.status == 400 and (await past.json())["error"]["code"] == "InvalidRequest"
    assert graph.subscriptions == {}


async def test_the_fake_uses_the_clock_it_is_given(aiohttp_server, aiohttp_client):
    now = [datetime(2031, 5, 1, 12, 0, tzinfo=timezone.utc)]  # any time at all: the test's clock decides
    graph = FakeGraph(state=GraphState(clock=lambda: now[0]))
    url = await graph_and_listener(aiohttp_server, graph)
    client = await aiohttp_client(web.Application())

    accepted = await subscribe(client.session, graph, url, now[0] + timedelta(days=6))
    assert accepted.status == 201, await accepted.text()
    message = graph.deliver("aws-root-01@example.com", to=["aws-0001@example.com"])
    assert message.data["receivedDateTime"] == "2031-05-01T12:00:00Z"
    assert await graph.notify(message, "aws-root-01@example.com") == [202]

    now[0] += timedelta(days=7)  # past the expiry in the given clock: Graph notifies no more
    assert await graph.notify(message, "aws-root-01@example.com") == []
