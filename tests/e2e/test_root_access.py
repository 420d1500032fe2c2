"""Journey 7: AWS centralized root access from Teams. An admin reads the organization's root posture; the channel that
owns an account asks for password recovery; an admin who is not the requester approves (the Playground has one
signed-in user, so that second person presses Approve through a Bot Framework activity sent straight to RootMail with
the Playground's Bot Connector as service URL; every card still shows in the Playground); AWS mails the reset link
and only the requester can reveal it, in the personal chat."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import pytest_asyncio
from playwright.async_api import expect

from tests.cardwalk import text
from tests.e2e import root_stack, story
from tests.e2e.ui import open_playground

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

PERSONAL_CHAT = "Personal Chat"
ALEX = "Alex Wilber"  # the Playground's signed-in user: on the team, acting from the admin conversation


@dataclass(frozen=True)
class Journey:
    posture: str
    lookup: str
    asked: str
    own_approval: str
    approved: str
    channel_outcome: str
    teammate_reveal: str
    personal: str
    channel: str
    link: str


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def journey(browser, tmp_path_factory) -> Journey:
    stack = await root_stack.start(tmp_path_factory.mktemp("e2e-root"))
    tab = await open_playground(browser, stack.playground.url)
    try:
        chat = await tab.chat(PERSONAL_CHAT)  # the admin conversation
        posture = await _say(tab, chat, "root status", "AWS root posture")
        await expect(posture).to_contain_text("member accounts still has root credentials")
        await tab.screenshot("07-root-status.png", of=posture)
        posture_text = await posture.inner_text()

        channel = await tab.channel(story.TEAM, story.CHANNEL)
        thread = await channel.mention("new")
        await thread.answer("New AWS root e-mail address", "Get an address")
        await thread.fill("AWS account name", "payments-prod")
        await thread.choose("Environment", "production")
        await thread.fill("Purpose", "Card processing")
        await thread.fill("AWS account id", root_stack.RECOVERED)
        await thread.press("Get an address")
        address = re.search(r"(aws-\d{4}@example\.com)", await thread.answer(story.RESULT_HEADING))[1]
        stack.org.accounts[root_stack.RECOVERED].email = address  # AWS uses it as the root e-mail

        lookup = await channel.mention(f"lookup {root_stack.RECOVERED}")
        looked_up = await lookup.answer("AWS root user", "Root credentials: none", "Allow password recovery")
        await tab.screenshot("07b-root-lookup.png", of=lookup.post)

        ask = await channel.mention(f"root-task {root_stack.RECOVERED} allow-recovery --minutes 30 --remove-after")
        asked = await ask.answer("Root task: Allow password recovery", "waiting for an admin's approval")
        await tab.screenshot("07c-root-task-asked.png", of=ask.post)
        task_id = re.search(r"Task id\s+(\w+)", asked)[1]

        chat = await tab.chat(PERSONAL_CHAT)
        request = chat.bot_messages.filter(has_text=task_id).last
        await request.get_by_role("button", name="Approve", exact=True).click()
        await expect(request).to_contain_text("two-person rule")
        own_approval = await request.inner_text()
        await tab.screenshot("07d-root-two-person.png", of=request)

        approved = await stack.press_as(root_stack.MEGAN, "root.approve", {"task": task_id})
        channel = await tab.channel(story.TEAM, story.CHANNEL)
        outcome = channel.post_containing("Only Alex Wilber may reveal the reset link")
        await expect(outcome).to_contain_text("IAMCreateRootUserPassword")
        await tab.screenshot("07e-root-task-done.png", of=outcome)
        outcome_text = await outcome.inner_text()

        assert await stack.org.forgot_password(root_stack.RECOVERED)  # Alex uses "Forgot password" on AWS's page
        reset = channel.post_containing("Root password reset")
        await expect(reset).to_contain_text(address)
        teammate = await stack.press_as(root_stack.MEGAN, "reveal", {"mail": await stack.newest_mail(address)})
        await reset.get_by_role("button", name="Reveal link", exact=True).click()
        await expect(reset).to_contain_text(f"Revealed to {ALEX}")
        await tab.screenshot("07f-reset-mail.png", of=reset)
        channel_text = "\n".join(await channel.posts.all_text_contents())

        chat = await tab.chat(PERSONAL_CHAT)
        private = chat.bot_messages.filter(has_text="Password reset link")
        await expect(private).to_have_count(1)
        await tab.screenshot("07g-reset-link-personal.png", of=private)
        [(_, link)] = stack.org.sent_resets
        return Journey(posture_text, looked_up, asked, own_approval, _text(approved), outcome_text, _text(teammate),
                       await private.inner_text(), channel_text, link)
    finally:
        await tab.close()
        await stack.close()


def _text(answer: dict | str) -> str:
    """A card's text, or the words of an answer told to the presser alone (Reveal answers that way)."""
    return answer if isinstance(answer, str) else text(answer)


async def _say(tab, chat, words: str, expected: str):
    """Type a command in a personal chat (no @mention there) and return RootMail's new reply showing `expected`."""
    matching = chat.bot_messages.filter(has_text=expected)
    before = await matching.count()
    await tab.page.get_by_role("textbox").click()
    await tab.page.keyboard.type(words)
    await tab.page.get_by_role("button", name="Send Message").click()
    await expect(matching).to_have_count(before + 1)
    return matching.nth(before)


async def test_admins_see_which_member_accounts_still_have_root_credentials(journey):
    assert "1 of 2 member accounts still has root credentials" in journey.posture
    assert "legacy-data (333333333333)" in journey.posture


async def test_lookup_shows_the_accounts_root_posture_with_root_task_buttons(journey):
    assert "Root credentials: none" in journey.lookup and "Delete root credentials" in journey.lookup


async def test_the_requester_cannot_approve_and_another_admin_can(journey):
    assert "waiting for an admin's approval" in journey.asked
    assert "two-person rule" in journey.own_approval
    assert "Approved and done." in journey.approved and "Megan Bowen" in journey.approved
    assert "IAMCreateRootUserPassword" in journey.channel_outcome and "rootmail-task-" in journey.channel_outcome


async def test_only_the_requester_gets_the_reset_link_and_only_in_the_personal_chat(journey):
    assert "only that person may reveal it" in journey.teammate_reveal
    assert "Password reset link" in journey.personal
    assert journey.link not in journey.channel and journey.link not in journey.teammate_reveal
