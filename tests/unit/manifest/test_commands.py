"""Teams offers exactly the commands RootMail answers, in every scope the bot is installed in."""
from __future__ import annotations

import pytest

from manifest import package
from manifest.commands import COMMANDS

SCOPES = {"personal", "team", "groupChat"}


@pytest.fixture(scope="module")
def bot() -> dict:
    return package.render("3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "1.0.0")["bots"][0]


def test_bot_is_conversational_in_personal_team_and_group_chat(bot):
    assert set(bot["scopes"]) == SCOPES
    assert bot["isNotificationOnly"] is False
    assert bot["supportsFiles"] is False


def test_each_scope_has_its_own_command_list(bot):
    assert sorted(scope for entry in bot["commandLists"] for scope in entry["scopes"]) == sorted(SCOPES)
    assert all(len(entry["scopes"]) == 1 for entry in bot["commandLists"])


def test_every_command_list_is_the_shared_command_table(bot):
    expected = [{"title": c.name, "description": c.description} for c in COMMANDS]
    for entry in bot["commandLists"]:
        assert entry["commands"] == expected, entry["scopes"]


def test_teams_offers_the_commands_the_help_card_explains_in_its_order():
    from cards.messages import COMMANDS as HELP

    assert [c.name for c in COMMANDS] == [usage.split()[0] for usage, _, _ in HELP]
    assert len(COMMANDS) <= 10  # Teams shows at most 10 commands per scope


def test_command_text_fits_what_teams_shows():
    # Schemas up to 1.20 capped titles at 32 and descriptions at 128 characters; the command menu is sized for that.
    assert all(len(c.name) <= 32 and 0 < len(c.description) <= 128 for c in COMMANDS)


def test_the_bot_routes_every_command_teams_offers():
    handlers = pytest.importorskip("bot.handlers", reason="the bot's command table is not importable yet")
    assert {c.name for c in COMMANDS} <= set(handlers.COMMANDS)
