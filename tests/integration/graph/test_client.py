"""The Graph client against the fake Graph: bearer tokens, throttling, retries, timeouts, 4 requests per mailbox."""
from __future__ import annotations

import asyncio
import time

import pytest

from core.errors import MailSourceUnavailable, NotFound
from mail.graph.client import RetryPolicy, open_graph_client
from tests.fakes.graph.server import StaticToken
from tests.fakes.graph.harness import ALIAS_BOX, ALIASES, PLUS_BOX, fake_graph, mail_api  # noqa: F401  (fixture)

FAST = RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.2, max_retry_after=5)


def graph_client(fake, timeout: float = 2.0, policy: RetryPolicy = FAST, token: str | None = None):
    return open_graph_client(StaticToken(token or fake.token), f"{fake.url}/v1.0", timeout, policy)


async def test_every_request_carries_the_credentials_bearer_token(fake_graph):
    credential = StaticToken(fake_graph.token)
    async with open_graph_client(credential, f"{fake_graph.url}/v1.0", 2.0, FAST) as client:
        addresses = await mail_api(client, fake_graph).addresses(ALIAS_BOX)

    assert addresses[0] == ALIAS_BOX and set(ALIASES) <= set(addresses)
    assert "aws-root-01@contoso.onmicrosoft.com" in addresses  # filtered later, by the inventory rules
    assert [r.headers["authorization"] for r in fake_graph.requests] == [f"Bearer {fake_graph.token}"]
    assert credential.scopes == [(f"http://127.0.0.1/.default",)]


async def test_a_wrong_token_is_refused_and_not_retried(fake_graph):
    async with graph_client(fake_graph, token="stolen") as client:
        with pytest.raises(MailSourceUnavailable, match="Mail.ReadWrite") as refused:
            await mail_api(client, fake_graph).addresses(ALIAS_BOX)
    assert refused.value.status == 401 and len(fake_graph.requests) == 1


async def test_429_waits_for_retry_after_then_succeeds(fake_graph):
    message = fake_graph.deliver(ALIAS_BOX, to=[ALIASES[0]])
    fake_graph.fail(429, times=2, path="/messages/", retry_after="1")
    async with graph_client(fake_graph) as client:
        started = time.monotonic()
        fetched = await mail_api(client, fake_graph).message(ALIAS_BOX, message.id)
        took = time.monotonic() - started

    assert fetched["internetMessageId"] == message.data["internetMessageId"]
    assert [r.status for r in fake_graph.requests] == [429, 429, 200]
    assert took >= 2.0  # two Retry-After: 1 waits, honoured


async def test_a_429_pauses_the_whole_mailbox_not_just_the_throttled_call(fake_graph):
    first = fake_graph.deliver(ALIAS_BOX, to=[ALIASES[0]])
    second = fake_graph.deliver(ALIAS_BOX, to=[ALIASES[1]])
    fake_graph.fail(429, times=1, path=first.id, retry_after="1")
    async with graph_client(fake_graph) as client:
        graph = mail_api(client, fake_graph)
        throttled = asyncio.create_task(graph.message(ALIAS_BOX, first.id))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await graph.message(ALIAS_BOX, second.id)
        waited = time.monotonic() - started
        await throttled
    assert waited >= 0.6


async def test_5xx_is_retried_with_backoff_and_gives_up_after_the_bound(fake_graph):
    fake_graph.fail(503, times=10, path="/users/")
    async with graph_client(fake_graph) as client:
        with pytest.raises(MailSourceUnavailable, match="503") as gave_up:
            await mail_api(client, fake_graph).addresses(ALIAS_BOX)
        assert "503" in client.failing[ALIAS_BOX]
    assert len(fake_graph.requests) == FAST.attempts and gave_up.value.status == 503


async def test_a_retry_after_beyond_the_bound_ends_the_call_at_once(fake_graph):
    fake_graph.fail(429, times=1, path="/users/", retry_after="600")
    async with graph_client(fake_graph) as client:
        with pytest.raises(MailSourceUnavailable) as gave_up:
            await mail_api(client, fake_graph).addresses(ALIAS_BOX)
    assert gave_up.value.retry_after == 600 and len(fake_graph.requests) == 1


async def test_a_hanging_graph_times_out_and_the_retry_succeeds(fake_graph):
    fake_graph.hang_seconds = 3.0
    fake_graph.fail(0, times=1, path="/users/")
    async with graph_client(fake_graph, timeout=0.5) as client:
        started = time.monotonic()
        addresses = await mail_api(client, fake_graph).addresses(PLUS_BOX)
        took = time.monotonic() - started
    assert addresses[0] == PLUS_BOX and 0.5 <= took < 2.5


async def test_at_most_four_requests_are_in_flight_per_mailbox(fake_graph):
    fake_graph.latency = 0.05
    messages = [fake_graph.deliver(ALIAS_BOX, to=[ALIASES[0]]) for _ in range(20)]
    async with graph_client(fake_graph) as client:
        graph = mail_api(client, fake_graph)
        started = time.monotonic()
        fetched = await asyncio.gather(*(graph.message(ALIAS_BOX, m.id) for m in messages))
        took = time.monotonic() - started

    assert len(fetched) == 20 and fake_graph.max_in_flight == 4
    assert all(r.status == 200 for r in fake_graph.requests)  # the fake answers 429 above 4
    assert took >= 0.05 * 20 / 4


async def test_a_missing_message_is_not_found_not_an_outage(fake_graph):
    async with graph_client(fake_graph) as client:
        with pytest.raises(NotFound):
            await mail_api(client, fake_graph).message(ALIAS_BOX, "AAkALgGone")
        assert client.failing == {}
    assert len(fake_graph.requests) == 1


async def test_requests_ask_for_immutable_ids_and_text_bodies(fake_graph):
    message = fake_graph.deliver(ALIAS_BOX, to=[ALIASES[0]], body="<p>Hello <b>there</b></p>")
    async with graph_client(fake_graph) as client:
        fetched = await mail_api(client, fake_graph).message(ALIAS_BOX, message.id)
    prefer = fake_graph.requests[-1].headers["prefer"]
    assert 'IdType="ImmutableId"' in prefer and 'outlook.body-content-type="text"' in prefer
    assert fetched["body"] == {"contentType": "text", "content": "Hello there"}
    assert "internetMessageHeaders" in fake_graph.requests[-1].query["$select"]


async def test_forwarded_messages_are_marked_read_and_moved_four_to_a_batch(fake_graph):
    messages = [fake_graph.deliver(ALIAS_BOX, to=[ALIASES[0]]) for _ in range(6)]
    async with graph_client(fake_graph) as client:
        graph = mail_api(client, fake_graph)
        folder = await graph.folder_id(ALIAS_BOX, "RootMail")
        outcome = await graph.mark_read_and_move(ALIAS_BOX, [m.id for m in messages], folder)

    assert outcome == {m.id: (200, 201) for m in messages}
    assert all(m.data["isRead"] and m.folder == folder for m in messages)
    batches = [r.body["requests"] for r in fake_graph.made("POST", "/$batch")]
    assert [[step["method"] for step in batch] for batch in batches] == [["PATCH"] * 4, ["POST"] * 4,
                                                                         ["PATCH"] * 2, ["POST"] * 2]
    assert not any("dependsOn" in step for batch in batches for step in batch)  # fully parallel, as Graph wants
    steps = [r for r in fake_graph.requests if r.in_batch]
    assert len(steps) == 12 and fake_graph.max_in_flight <= 4


async def test_a_throttled_step_in_a_batch_fails_only_its_message_and_pauses_the_mailbox(fake_graph):
    throttled, fine = (fake_graph.deliver(ALIAS_BOX, to=[ALIASES[0]]) for _ in range(2))
    fake_graph.fail(429, times=1, path=f"/messages/{throttled.id}$", retry_after="1")
    async with graph_client(fake_graph) as client:
        graph = mail_api(client, fake_graph)
        folder = await graph.folder_id(ALIAS_BOX, "RootMail")
        started = time.monotonic()  # the moves wait out the pause the throttled update started
        outcome = await graph.mark_read_and_move(ALIAS_BOX, [throttled.id, fine.id], folder)
        await graph.message(ALIAS_BOX, fine.id)
        waited = time.monotonic() - started

    assert outcome == {throttled.id: (429, 424), fine.id: (200, 201)}
    assert throttled.folder != folder and not throttled.data["isRead"] and fine.folder == folder
    assert waited >= 0.8
