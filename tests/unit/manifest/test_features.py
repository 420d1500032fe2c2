"""The manifest offers what the bot answers: a search and a message action (composeExtensions), and the resource-specific
consent that lets /rootmail be typed without @mention (msteams-docs graph-api/rsc/grant-resource-specific-consent.md:
webApplicationInfo plus authorization.permissions.resourceSpecific, manifest 1.12 or later)."""
from __future__ import annotations

import pytest

from manifest import package

APP_ID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return package.render(APP_ID, "1.0.0")


def test_the_search_and_the_message_action_are_the_bots_own(manifest):
    [extension] = manifest["composeExtensions"]
    commands = {c["id"]: c for c in extension["commands"]}
    assert extension["botId"] == APP_ID == manifest["bots"][0]["botId"]  # the same bot answers both
    search, look_up = commands["findAddress"], commands["lookUpMail"]
    assert (search["type"], search["initialRun"], search["context"]) == ("query", True, ["compose", "commandBox"])
    assert [p["name"] for p in search["parameters"]] == ["query"]
    assert (look_up["type"], look_up["context"], look_up["fetchTask"]) == ("action", ["message"], True)


def test_the_bot_answers_both_invokes():
    from bot.extension import INVOKES

    assert INVOKES == {"composeExtension/query", "composeExtension/fetchTask"}


def test_rsc_asks_to_read_channel_and_group_chat_messages_and_nothing_more(manifest):
    asked = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert asked == [{"name": "ChannelMessage.Read.Group", "type": "Application"},
                     {"name": "ChatMessage.Read.Chat", "type": "Application"}]
    assert manifest["webApplicationInfo"]["id"] == APP_ID and manifest["webApplicationInfo"]["resource"]
    assert "/rootmail" in manifest["description"]["full"] and "never stores or logs" in manifest["description"]["full"]
