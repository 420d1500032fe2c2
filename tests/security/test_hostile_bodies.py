"""Bodies built to break the JSON reader: nested 100,000 deep (RecursionError) or labelled with a charset that does
not exist (LookupError) made a 500 on /api/v1, /api/messages and the Graph webhook. Now each is a 400, problem+json
where the endpoint speaks it, and nothing reaches the adapter or the store."""
from __future__ import annotations

import logging

import pytest

from mail.graph.routes import NOTIFICATIONS_PATH
from tests.fakes import teams
from tests.fakes.graph.harness import fake_graph, graph_port, start_graph_app  # noqa: F401  (fixtures)

DEEP = b"[" * 100_000 + b"]" * 100_000
HOSTILE = [(DEEP, "application/json"), (b'{"value": []}', "application/json; charset=x-no-such-codec"),
           (b'{"value": []}', "application/json; charset=utf-7")]
IDS = ["nested-100000-deep", "unknown-charset", "utf-7"]


@pytest.mark.parametrize("body, content_type", HOSTILE, ids=IDS)
async def test_the_api_answers_a_hostile_body_with_400_problem_json(api, body, content_type):
    response = await api.client.post("/api/v1/addresses", data=body,
                                     headers=api.auth() | {"Content-Type": content_type})
    problem = await response.json(content_type=None)

    assert response.status == 400 and response.content_type == "application/problem+json"
    assert problem["type"] == "/api/v1/problems/malformed-body"
    assert await api.store.count_addresses() == 0


@pytest.mark.parametrize("body, content_type", HOSTILE[:2], ids=IDS[:2])
async def test_the_bot_endpoint_answers_a_hostile_body_with_400_before_the_adapter(unsigned, caplog, body,
                                                                                   content_type):
    rootmail = await unsigned()
    with caplog.at_level(logging.WARNING):
        response = await rootmail.client.post("/api/messages", data=body, headers={"Content-Type": content_type})

    assert response.status == 400 and response.content_type == "application/problem+json"
    assert not [r for r in caplog.records if r.exc_info]  # no traceback: it never got that far


@pytest.mark.parametrize("body, content_type", HOSTILE, ids=IDS)
async def test_the_graph_webhook_answers_a_hostile_body_with_400(start_graph_app, body, content_type):
    rootmail = await start_graph_app()

    response = await rootmail.client.post(NOTIFICATIONS_PATH, data=body, headers={"Content-Type": content_type})

    assert response.status == 400 and rootmail.source.rejected == 0


async def test_an_activity_nested_just_past_the_limit_is_refused_though_json_reads_it(unsigned):
    rootmail = await unsigned()
    activity = teams.message("help", teams.PERSONAL, rootmail.connector.url)
    nested: dict = {}
    for _ in range(200):  # json reads 200 levels; code walking it must not have to
        nested = {"x": nested}
    activity["channelData"]["deep"] = nested

    response = await rootmail.client.post("/api/messages", json=activity)

    assert response.status == 400 and "nested" in (await response.json())["detail"]
    assert rootmail.connector.sent == []
