"""While a command takes longer than a moment, RootMail shows that it is working on it (a typing activity, which
clients show for about three seconds: Bot Framework Activity spec, "Typing activity")."""
from __future__ import annotations

import asyncio

from app import BOT, SERVICES
from tests.cardwalk import text
from tests.fakes import teams


async def slow_pool_sync() -> dict:
    await asyncio.sleep(0.4)
    return {}


async def test_a_slow_command_shows_typing_before_its_answer(rootmail):
    rootmail.client.app[BOT]._replies.typing_after = 0.05
    rootmail.client.app[SERVICES].sync_pool = slow_pool_sync  # reading Exchange again takes a while
    rootmail.client.app[SERVICES].exchange = True

    card = await rootmail.say("pool", teams.PERSONAL)  # the admin conversation

    assert "Alias pool" in text(card)
    kinds = [s.activity["type"] for s in rootmail.connector.sent]
    assert kinds[0] == "typing" and kinds[-1] == "message" and kinds.count("message") == 1


async def test_a_quick_command_shows_no_typing(rootmail):
    rootmail.client.app[BOT]._replies.typing_after = 5.0

    await rootmail.say("help")

    assert [s.activity["type"] for s in rootmail.connector.sent] == ["message"]
