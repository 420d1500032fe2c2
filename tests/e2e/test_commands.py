"""Journey 4: lookup and list show the address and its mail; help lists every command; a typo gets "did you mean"."""
from __future__ import annotations

import pytest

from tests.e2e import story

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

COMMANDS = ("new", "lookup", "list", "link", "retire", "help")


async def test_lookup_shows_the_address_its_details_and_its_mail(tab, allocation, delivered_mail):
    channel = await tab.channel(story.TEAM, story.CHANNEL)
    thread = await channel.mention(f"lookup {allocation.address}")
    shown = await thread.answer(story.PURPOSE, delivered_mail.subject)
    await tab.screenshot("04-lookup.png", of=thread.post)
    assert allocation.address in shown and story.ACCOUNT_NAME in shown
    assert not story.shows_code(shown, delivered_mail.code)


async def test_list_shows_the_channels_addresses(tab, allocation):
    channel = await tab.channel(story.TEAM, story.CHANNEL)
    thread = await channel.mention("list")
    shown = await thread.answer(allocation.address)
    await tab.screenshot("04-list.png", of=thread.post)
    assert story.ACCOUNT_NAME in shown


async def test_help_lists_every_command(tab):
    channel = await tab.channel(story.TEAM, story.CHANNEL)
    thread = await channel.mention("help")
    shown = await thread.answer("Show this card.")
    for command in COMMANDS:
        assert f"\n{command}" in shown, command


async def test_a_typo_gets_did_you_mean_and_the_corrected_command_runs_with_one_click(tab, allocation):
    channel = await tab.channel(story.TEAM, story.CHANNEL)
    thread = await channel.mention(f"lokup {allocation.address}")
    shown = await thread.answer("Did you mean:", f"lookup {allocation.address}")
    await tab.screenshot("04-unknown-command.png", of=thread.post)
    assert "didn't understand" in shown.lower() and "Show this card." not in shown
    assert "Traceback" not in shown and "Something went wrong" not in shown

    await thread.press("Run lookup")
    await thread.answer("Root address", story.PURPOSE)


async def test_words_that_are_no_command_get_a_short_pointer(tab):
    channel = await tab.channel(story.TEAM, story.CHANNEL)
    thread = await channel.mention("make me a sandwich")
    shown = await thread.answer("make me a sandwich", "RootMail knows:")
    assert "didn't understand" in shown.lower() and "Something went wrong" not in shown
