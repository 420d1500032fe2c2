"""Admins hear once when an alias mailbox runs low; allocation goes on from the plus mailbox when aliases run out."""
from __future__ import annotations

from app import create_app
from tests.cardwalk import action, text
from tests.fakes import teams
from tests.integration.conftest import Harness
from tests.integration.test_bot_commands import FORM


async def test_low_pool_is_reported_once_to_the_admin_conversation(aiohttp_client, connector, make_settings):
    settings = make_settings(ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id,
                             ROOTMAIL_POOL_LOW_WATERMARK="39")
    rootmail = Harness(await aiohttp_client(create_app(settings)), connector)
    await rootmail.say("help", teams.PERSONAL)  # the admin conversation becomes known
    form = await rootmail.say("new")
    data = action(form, "new.submit")["data"]
    for i in range(3):
        await rootmail.execute("new.submit", data | FORM | {"request_id": f"r{i}"})
    notices = [s for s in connector.in_conversation(teams.PERSONAL.conversation_id)
               if "aws-root-01@example.com" in text(s.cards[0]) and "38" in text(s.cards[0])]
    assert len(notices) == 1


async def test_when_aliases_run_out_plus_addresses_take_over(unlimited):
    rootmail = unlimited
    form = await rootmail.say("new")
    data = action(form, "new.submit")["data"]
    for i in range(41):
        card = await rootmail.execute("new.submit", data | FORM | {"request_id": f"r{i}", "account_name": "Data Lake"})
    assert "aws-root+data-lake-" in text(card)
    assert await rootmail.store.free_alias_count("aws-root-01@example.com") == 0
