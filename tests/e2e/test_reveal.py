"""Journey 3: Reveal on the channel's mail card sends the code to the presser's personal chat, and only there."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import pytest_asyncio
from playwright.async_api import expect

from tests.e2e import story
from tests.e2e.ui import open_playground

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

CURRENT_USER = "Alex Wilber"  # currentUser in config/playground.yml: on the team, not a RootMail admin
PERSONAL_CHAT = "Personal Chat"


@dataclass(frozen=True)
class Reveal:
    code: str
    channel_card: str  # the mail card as the rest of the channel sees it once RootMail updated it
    channel: str  # everything in the channel then, in both tabs, visible or not
    personal: str  # RootMail's message with the code in the personal chat
    group_chat: str  # what the group chat shows after someone there looked the address up


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def revealed(browser, playground_server, rootmail_server, allocation) -> Reveal:
    """A mail of its own (a tab shows only what arrives while it is open), revealed from the channel.

    Two tabs watch the channel: one presses Reveal, the other sees what the rest of the channel sees. The presser is
    told under the card that the code went to their private chat (a message response: the card is not replaced; the
    Playground drops that line when RootMail's edit arrives, so it is not waited for here); RootMail's edit for
    everyone then shows who revealed it, in both tabs."""
    tab = await open_playground(browser, playground_server.url)
    onlooker = await open_playground(browser, playground_server.url)
    try:
        channel = await tab.channel(story.TEAM, story.CHANNEL)
        theirs = await onlooker.channel(story.TEAM, story.CHANNEL)
        subject, code = await story.send_verification_mail(rootmail_server, allocation.address)
        card, their_card = channel.post_containing(subject), theirs.post_containing(subject)
        await expect(card).to_contain_text(allocation.address)
        await expect(their_card).to_contain_text(allocation.address)
        await card.get_by_role("button", name="Reveal code", exact=True).click()
        await expect(card).to_contain_text(f"Revealed to {CURRENT_USER}")
        await expect(their_card).to_contain_text(f"Revealed to {CURRENT_USER}")
        await onlooker.screenshot("03b-reveal-channel.png", of=their_card)
        channel_card = await their_card.inner_text()
        channel_text = "\n".join([await tab.page.locator("body").inner_text(), *await channel.posts.all_text_contents(),
                                  await onlooker.page.locator("body").inner_text(),
                                  *await theirs.posts.all_text_contents()])

        chat = await tab.chat(PERSONAL_CHAT)
        private = chat.bot_messages.filter(has_text=code)
        await expect(private).to_have_count(1)
        await tab.screenshot("03c-reveal-personal.png")
        personal = await private.inner_text()

        group = await tab.chat(story.GROUP_CHAT)
        await group.mention(f"lookup {allocation.address}", "Owned by another channel")
        return Reveal(code, channel_card, channel_text, personal, await tab.page.locator("body").inner_text())
    finally:
        await tab.close()
        await onlooker.close()


async def test_the_code_arrives_in_the_personal_chat_of_who_pressed_reveal(revealed):
    assert story.shows_code(revealed.personal, revealed.code), revealed.personal
    assert "Your code from AWS" in revealed.personal
    assert "AWS Notification - Email Verification" in revealed.personal and "Received" in revealed.personal


async def test_the_code_is_not_in_the_channel_or_the_group_chat(revealed):
    assert "code hidden" in revealed.channel_card
    assert not story.shows_code(revealed.channel, revealed.code)
    assert not story.shows_code(revealed.group_chat, revealed.code)


async def test_the_channel_card_says_who_revealed_the_code_and_when(revealed):
    assert re.search(rf"Revealed to {CURRENT_USER} at .*\b\d{{1,2}}:\d{{2}} [AP]M", revealed.channel_card), \
        revealed.channel_card
