"""The steps later journeys build on: a team gets an address in its channel, then AWS mails that address."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from playwright.async_api import expect

from scripts.demo_mail import build_message, send
from tests.e2e.servers import RootMail
from tests.e2e.ui import PlaygroundTab

TEAM, CHANNEL = "Cloud Platform", "AWS Accounts"  # from config/playground.yml
GROUP_CHAT = "Cloud Platform leads"
ACCOUNT_NAME = "payments-prod"
ENVIRONMENT = "production"
PURPOSE = "Card processing for the payments team"
RESULT_HEADING = "Your new AWS root e-mail address"


def shows_code(text: str, code: str) -> bool:
    """The code as a number of its own (a longer number that merely contains its digits does not count)."""
    return re.search(rf"(?<!\d){code}(?!\d)", text) is not None


@dataclass(frozen=True)
class Allocation:
    address: str
    form: str  # the thread's text while the form was shown
    result: str  # the thread's text once the address was given


@dataclass(frozen=True)
class DeliveredMail:
    address: str
    subject: str
    code: str  # the verification code in the mail, which must never reach the channel
    card: str  # the text of the post RootMail made in the channel
    page: str  # the page's text, visible and hidden, once the card was shown


async def allocate_in_channel(tab: PlaygroundTab) -> Allocation:
    """@RootMail new in the channel, fill the form, submit, read the address off the result card."""
    channel = await tab.channel(TEAM, CHANNEL)
    thread = await channel.mention("new")
    form = await thread.answer("New AWS root e-mail address", "Get an address")
    await thread.fill("AWS account name", ACCOUNT_NAME)
    await thread.choose("Environment", ENVIRONMENT)
    await thread.fill("Purpose", PURPOSE)
    await tab.screenshot("01-new-form.png")
    await thread.press("Get an address")
    result = await thread.answer(RESULT_HEADING)
    await tab.screenshot("02-address.png", of=thread.post)
    found = re.search(rf"{RESULT_HEADING}\s+(\S+@\S+)", result)
    assert found, f"no address under the heading of the result card:\n{result}"
    return Allocation(found.group(1), form, result)


async def send_verification_mail(rootmail: RootMail, address: str) -> tuple[str, str]:
    """AWS mails a new verification code to the address over real SMTP; returns the subject and the code."""
    message = build_message("verification", address)
    code = re.search(r"Verification code: (\d{6})", message.get_body(("plain",)).get_content()).group(1)
    await asyncio.to_thread(send, message, "127.0.0.1", rootmail.smtp_port)
    return str(message["Subject"]), code


async def mail_in_channel(tab: PlaygroundTab, rootmail: RootMail, address: str) -> DeliveredMail:
    """An AWS verification-code mail over real SMTP; wait for RootMail's post in the channel."""
    channel = await tab.channel(TEAM, CHANNEL)
    subject, code = await send_verification_mail(rootmail, address)
    post = channel.post_containing(subject)
    await expect(post).to_contain_text(address)
    await tab.screenshot("03-mail-card.png")
    return DeliveredMail(address, subject, code, await post.inner_text(), await tab.text())
