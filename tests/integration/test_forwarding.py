"""Received mail posted to the owning channel: exactly once, retried on Bot Connector failures, never dropped."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from app import INSPECTOR, MAIL_WAKE
from core.intake.ingest import ingest
from core.intake.parsed import ParsedMail
from core.model import MailState
from scripts.demo_mail import boundary_results
from tests.cardwalk import text
from tests.fakes import teams
from tests.integration.test_bot_commands import allocate


def aws_mail(message_id: str = "<m1@amazonses.com>", subject: str = "Your AWS account is ready") -> ParsedMail:
    """Mail as AWS sends it: signed, and verified by the boundary RootMail trusts (the embedded default's)."""
    sender = "Amazon Web Services <no-reply@aws.amazon.com>"
    return ParsedMail(message_id=message_id, sender=sender,
                      subject=subject, date=datetime(2026, 11, 21, tzinfo=timezone.utc),
                      text="Welcome to Amazon Web Services.", size=1200,
                      headers={"from": [sender], "authentication-results": [boundary_results(sender)]})


async def owned_address(rootmail) -> str:
    await allocate(rootmail)
    return (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 10)).items[0].address


async def deliver(rootmail, mail: ParsedMail, *recipients: str) -> None:
    await ingest(rootmail.store, lambda: datetime.now(timezone.utc), mail, list(recipients),
                 rootmail.client.app[INSPECTOR])
    rootmail.client.app[MAIL_WAKE].set()


async def settled(rootmail, key_state: MailState, count: int = 1, timeout: float = 10.0) -> None:
    async def poll():
        while await rootmail.store.count_mails(key_state.value) < count:
            await asyncio.sleep(0.02)
    await asyncio.wait_for(poll(), timeout)


async def test_mail_is_posted_as_a_new_post_in_the_owning_channel(rootmail):
    address = await owned_address(rootmail)
    before = len(rootmail.connector.sent)
    await deliver(rootmail, aws_mail(), address)
    sent = (await rootmail.connector.wait_for(before + 1))[before]
    assert sent.conversation_id == teams.PLATFORM.conversation_id  # the channel, not the thread
    shown = text(sent.cards[0])
    assert "Your AWS account is ready" in shown and address in shown and "Payments Prod" in shown
    await settled(rootmail, MailState.FORWARDED)
    mail = (await rootmail.store.recent_mails(address, 1))[0]
    assert mail.activity_id == sent.activity_id


async def test_the_same_mail_delivered_twice_is_posted_once(rootmail):
    address = await owned_address(rootmail)
    before = len(rootmail.connector.sent)
    await deliver(rootmail, aws_mail(), address)
    await deliver(rootmail, aws_mail(), address.upper())
    await settled(rootmail, MailState.FORWARDED)
    await rootmail.forwarder.run_once()
    assert len(rootmail.connector.sent) == before + 1
    assert await rootmail.store.count_mails() == 1


async def test_unknown_recipient_goes_to_the_admin_conversation(rootmail):
    await rootmail.say("help", teams.PERSONAL)  # the admin conversation is known once it talked to the bot
    before = len(rootmail.connector.sent)
    await deliver(rootmail, aws_mail(), "nobody@example.com")
    sent = (await rootmail.connector.wait_for(before + 1))[before]
    assert sent.conversation_id == teams.PERSONAL.conversation_id
    assert "nobody@example.com" in text(sent.cards[0])
    await settled(rootmail, MailState.UNMAPPED)


async def test_a_throttled_post_is_retried_after_retry_after_and_posted_once(rootmail):
    address = await owned_address(rootmail)
    rootmail.forwarder.base_backoff = 0.05
    rootmail.connector.faults += [(429, {"Retry-After": "0"}), (502, {})]
    before = len(rootmail.connector.sent)
    await deliver(rootmail, aws_mail(), address)
    await settled(rootmail, MailState.FORWARDED, timeout=15)
    assert len(rootmail.connector.sent) == before + 1
    mail = (await rootmail.store.recent_mails(address, 1))[0]
    assert mail.attempts == 3 and mail.last_error == ""


async def test_a_failing_channel_stays_visible_as_failed_and_is_not_dropped(rootmail):
    address = await owned_address(rootmail)
    rootmail.forwarder.base_backoff = 30  # keep it failed while we look
    rootmail.connector.faults += [(503, {})]
    await deliver(rootmail, aws_mail(), address)
    await settled(rootmail, MailState.FAILED)
    mail = (await rootmail.store.recent_mails(address, 1))[0]
    assert "503" in mail.last_error and mail.next_attempt_at > datetime.now(timezone.utc)
    card = await rootmail.say(f"lookup {address}")
    assert "failed" in text(card).lower()


async def test_a_connector_that_hangs_times_out_and_the_mail_is_posted_later(rootmail):
    from app import POSTER

    address = await owned_address(rootmail)
    rootmail.client.app[POSTER]._timeout = 0.3
    rootmail.forwarder.base_backoff = 0.05
    rootmail.connector.faults += [(0, {})]
    before = len(rootmail.connector.sent)
    await deliver(rootmail, aws_mail(), address)
    await settled(rootmail, MailState.FORWARDED, timeout=15)
    mail = (await rootmail.store.recent_mails(address, 1))[0]
    assert mail.attempts == 2 and mail.activity_id
    assert len(rootmail.connector.sent) == before + 1
