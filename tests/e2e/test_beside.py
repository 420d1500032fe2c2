"""Journey 6: Look up and View full mail on a forwarded mail answer in its thread; the mail card stays as it was."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e import story

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_look_up_on_a_mail_card_answers_in_its_thread_and_the_mail_stays(tab, rootmail_server, allocation):
    channel = await tab.channel(story.TEAM, story.CHANNEL)
    subject, code = await story.send_verification_mail(rootmail_server, allocation.address)
    post = channel.post_containing(subject)
    await expect(post).to_contain_text(allocation.address)

    await post.get_by_role("button", name="Look up", exact=True).first.click()

    await expect(post).to_contain_text("Root address")  # the reply, in the mail's thread
    await expect(post).to_contain_text("RootMail answered below.")  # what the presser is told under the card
    await expect(post.get_by_role("button", name="Reveal code", exact=True)).to_have_count(1)  # the mail card stays
    await tab.screenshot("06-look-up-beside.png", of=post)
    assert not story.shows_code(await post.inner_text(), code)


async def test_view_full_mail_shows_the_text_with_the_code_hidden(tab, rootmail_server, allocation):
    channel = await tab.channel(story.TEAM, story.CHANNEL)
    subject, code = await story.send_verification_mail(rootmail_server, allocation.address)
    post = channel.post_containing(subject)
    await expect(post).to_contain_text(allocation.address)

    await post.get_by_role("button", name="View full mail", exact=True).click()

    await expect(post).to_contain_text("Codes and reset links are removed from the text")
    shown = await post.inner_text()
    assert "[code hidden]" in shown and not story.shows_code(shown, code)
