"""Turning Teams activities into RootMail turns: mentions, prefixes and the owning channel."""
from __future__ import annotations

from botbuilder.schema import Activity

from bot.turn import command_text, owner_of
from tests.fakes import teams


def activity(text, where=teams.PLATFORM):
    return Activity().deserialize(teams.message(text, where, "http://127.0.0.1:1"))


def test_mentions_and_prefix_are_removed():
    assert command_text(activity("/rootmail lookup 123")) == "lookup 123"
    assert command_text(activity("ROOTMAIL:  list")) == "list"
    assert command_text(activity("  help ", teams.PERSONAL)) == "help"


def test_a_thread_reply_is_owned_by_its_channel():
    owner = owner_of(activity("new"))
    assert owner.conversation_id == teams.PLATFORM.conversation_id
    assert owner.reference["conversation"]["id"] == teams.PLATFORM.conversation_id
    assert owner.team_id == teams.PLATFORM.team_id and owner.tenant_id == teams.TENANT
    assert owner.team_name == "" and owner.name == "channel"  # Teams sends ids only; bot/channel_names fills names


def test_personal_chat_owner():
    owner = owner_of(activity("new", teams.PERSONAL))
    assert owner.conversation_id == teams.PERSONAL.conversation_id and owner.name == "personal chat"
