"""Activities whose fields have the wrong type reached botbuilder's adapter and RootMail's turn code, which failed
deep inside with a traceback in the log. Each is a 400 at the edge now, naming the field, and the adapter never runs."""
from __future__ import annotations

import logging

import pytest

from tests.fakes import teams


def _message(service_url: str) -> dict:
    return teams.message("help", teams.PLATFORM, service_url)


def _invoke(service_url: str) -> dict:
    return teams.execute("lookup", {"query": "x"}, teams.PLATFORM, service_url)


MALFORMED = [
    ("no-from", _message, lambda a: a.pop("from"), "from"),
    ("from-a-string", _message, lambda a: a.update({"from": "29:alice"}), "from"),
    ("tenant-a-string", _message, lambda a: a["channelData"].update({"tenant": "tenant-0001"}), "channelData.tenant"),
    ("team-a-list", _message, lambda a: a["channelData"].update({"team": ["x"]}), "channelData.team"),
    ("action-a-string", _invoke, lambda a: a["value"].update({"action": "lookup"}), "value.action"),
    ("action-data-a-list", _invoke, lambda a: a["value"]["action"].update({"data": [1]}), "value.action.data"),
    ("entity-a-string", _message, lambda a: a.update({"entities": ["mention"]}), "entities.*"),
    ("conversation-id-a-number", _message, lambda a: a["conversation"].update({"id": 19}), "conversation.id"),
    ("text-an-object", _message, lambda a: a.update({"text": {"x": 1}}), "text"),
]


@pytest.mark.parametrize("build, spoil, field", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
async def test_a_malformed_activity_is_refused_with_400_before_the_adapter(unsigned, caplog, build, spoil, field):
    rootmail = await unsigned()
    activity = build(rootmail.connector.url)
    spoil(activity)

    with caplog.at_level(logging.DEBUG):
        response = await rootmail.client.post("/api/messages", json=activity)
    problem = await response.json(content_type=None)

    assert response.status == 400 and f"'{field}'" in problem["detail"]
    assert not [r for r in caplog.records if r.exc_info], "a traceback means it reached the adapter"
    assert rootmail.connector.sent == []
    assert await rootmail.store.get_conversation(teams.PLATFORM.conversation_id) is None
