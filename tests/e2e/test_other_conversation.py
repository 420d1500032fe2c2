"""Journey 5: people in another conversation cannot see the channel's address details or its mail."""
from __future__ import annotations

import pytest

from tests.e2e import story

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_lookup_from_the_group_chat_shows_only_that_another_channel_owns_it(tab, allocation, delivered_mail):
    chat = await tab.chat(story.GROUP_CHAT)
    reply = await chat.mention(f"lookup {allocation.address}", "Owned by another channel", allocation.address)
    await tab.screenshot("05-other-channel.png")
    shown = await reply.inner_text()
    for detail in (story.PURPOSE, story.ACCOUNT_NAME, delivered_mail.subject):
        assert detail not in shown, detail
    assert not story.shows_code(await tab.text(), delivered_mail.code)


async def test_list_in_the_group_chat_does_not_show_the_channels_address(tab, allocation):
    chat = await tab.chat(story.GROUP_CHAT)
    reply = await chat.mention("list", "does not own any root addresses")
    assert allocation.address not in await reply.inner_text()
