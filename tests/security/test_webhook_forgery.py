"""Posts to the Graph webhook that did not come from Graph: floods of forged notifications (5 posts of 6,000 items
wrote 30,000 warning lines) and validation tokens carrying markup, which the endpoint echoed back as text/plain that
a browser could sniff as HTML."""
from __future__ import annotations

import logging

import pytest

from mail.graph.routes import LIFECYCLE_PATH, NOTIFICATIONS_PATH
from tests.fakes.graph.harness import fake_graph, graph_port, start_graph_app  # noqa: F401  (fixtures)

REAL_TOKEN = "Validation: Testing client application reachability for subscription Request-Id: 7d1c5b02-8a3f"


async def test_a_flood_of_forged_notifications_logs_one_line_per_post(start_graph_app, caplog):
    rootmail = await start_graph_app()
    forged = {"value": [{"subscriptionId": f"made-up-{i}", "clientState": "guess", "changeType": "created",
                         "resourceData": {"id": f"m{i}"}} for i in range(2000)]}

    with caplog.at_level(logging.INFO, "mail.graph"):
        answers = [await rootmail.client.post(NOTIFICATIONS_PATH, json=forged) for _ in range(3)]

    assert [a.status for a in answers] == [202] * 3 and rootmail.source.rejected == 6000
    lines = [r for r in caplog.records if r.name.startswith("mail.graph") and "rejected" in r.getMessage()]
    assert len(lines) == 3 and all((r.rejected, r.items) == (2000, 2000) for r in lines)


@pytest.mark.parametrize("token", ["<script>alert(document.cookie)</script>", "a\"onmouseover='x'", "x" * 1025,
                                   "tab\tand\nnewline", "ünïcode"], ids=["script", "attribute", "long", "control",
                                                                       "non-ascii"])
async def test_a_validation_token_graph_would_never_send_is_not_echoed(start_graph_app, token):
    rootmail = await start_graph_app()

    for path in (NOTIFICATIONS_PATH, LIFECYCLE_PATH):
        response = await rootmail.client.post(path, params={"validationToken": token})
        body = await response.text()

        assert response.status == 400 and token not in body
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_echo_of_a_real_token_cannot_be_sniffed_as_anything_but_text(start_graph_app):
    rootmail = await start_graph_app()

    response = await rootmail.client.post(NOTIFICATIONS_PATH, params={"validationToken": REAL_TOKEN})

    assert response.status == 200 and await response.text() == REAL_TOKEN
    assert response.content_type == "text/plain" and response.headers["X-Content-Type-Options"] == "nosniff"
