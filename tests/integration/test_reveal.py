"""Reveal: a code reaches one allowed person 1:1, the channel sees who and when, and nothing leaks or outlives its window."""
from __future__ import annotations

from app import REVEALER, STORE
from core.model import MailState
from core.intake.reveal import wipe_expired
from tests.cardwalk import action, actions, text
from tests.fakes import teams
from tests.integration.protection_helpers import (Clock, aws_mail, deliver, everything_shown, owned_address,
                                                  posted_in, settled, start)  # noqa: F401  (fixture)

ALICE_ID, BOB_ID = teams.ALICE["id"], teams.BOB["id"]


async def mail_in_channel(rootmail, kind: str = "verification", members=(ALICE_ID,)):
    """An owned address, its team's roster (who also installed the app for themselves), and one AWS mail of `kind`
    posted in the channel."""
    rootmail.connector.rosters[teams.PLATFORM.team_id] = set(members)
    rootmail.connector.installed |= {ALICE_ID, BOB_ID}
    address = await owned_address(rootmail)
    mail = aws_mail(kind, address)
    before = len(rootmail.connector.sent)
    await deliver(rootmail, mail.message, address)
    card = await posted_in(rootmail, teams.PLATFORM.conversation_id, before)
    await settled(rootmail, MailState.FORWARDED)
    return address, mail, card


def updates_of(rootmail, activity_id: str) -> list:
    """RootMail's edits of one posted card."""
    return [u for u in rootmail.connector.updated if u.activity_id == activity_id]


async def test_the_channel_card_names_the_kind_and_hides_the_code_behind_reveal(start):
    rootmail = await start()
    address, mail, card = await mail_in_channel(rootmail)

    shown = text(card)
    assert "Verification code \u00b7 high" in shown and "What to do:" in shown
    assert "The code is hidden." in shown and "Verification code: [code hidden]" in shown
    assert mail.secret not in str(card)
    assert action(card, "reveal")["title"] == "Reveal code"
    stored = (await rootmail.store.recent_mails(address, 1))[0]
    assert stored.secret and mail.secret not in stored.secret + stored.preview + stored.subject


async def test_a_team_member_gets_the_code_in_a_private_chat_and_the_channel_sees_who(start):
    rootmail = await start()
    address, mail, card = await mail_in_channel(rootmail)

    answer = await rootmail.press("reveal", action(card, "reveal")["data"])

    assert answer.message == "Sent to you in your private chat with RootMail." and answer.card is None
    [created] = rootmail.connector.created
    assert created["members"] == [{"id": ALICE_ID}] and created["isGroup"] is False
    assert created["tenantID"] == created["channelData"]["tenant"]["id"] == teams.TENANT
    [private] = rootmail.connector.in_private_chat_with(ALICE_ID)
    assert mail.secret in text(private.cards[0]) and address in text(private.cards[0])
    await rootmail.settle()
    stored = (await rootmail.store.recent_mails(address, 1))[0]
    [update] = updates_of(rootmail, stored.activity_id)
    assert update.conversation_id == teams.PLATFORM.conversation_id
    assert "Revealed to Alice Admin at" in text(update.cards[0]) and mail.secret not in str(update.cards[0])
    audit = await rootmail.store.audit_for(address, 10)
    assert [(e.action, e.detail.get("by"), e.detail.get("mail")) for e in audit[:1]] == [
        ("reveal", "Alice Admin", stored.key)]
    assert mail.secret not in everything_shown(rootmail)


async def test_someone_outside_the_owning_team_is_refused_and_the_refusal_is_audited(start):
    rootmail = await start()
    address, mail, card = await mail_in_channel(rootmail, members=(ALICE_ID,))

    answer = await rootmail.press("reveal", action(card, "reveal")["data"], user=teams.BOB)

    assert answer.message.startswith("Only members of the team that owns this address") and answer.card is None
    assert rootmail.connector.created == [] and not [u for u in rootmail.connector.updated
                                                      if "reveal" in str(u.activity)]
    assert mail.secret not in everything_shown(rootmail)
    refusal = (await rootmail.store.audit_for(address, 10))[0]
    assert (refusal.action, refusal.actor, refusal.detail["action"]) == ("refused", "aad-bob", "reveal")


async def test_an_admin_outside_the_team_may_reveal(start):
    rootmail = await start(ROOTMAIL_ADMINS="aad-bob")
    _, mail, card = await mail_in_channel(rootmail, members=(ALICE_ID,))

    answer = await rootmail.press("reveal", action(card, "reveal")["data"], teams.PAYMENTS, teams.BOB)

    assert answer.message.startswith("Sent to you")
    [private] = rootmail.connector.in_private_chat_with(BOB_ID)
    assert mail.secret in text(private.cards[0])


async def test_when_teams_cannot_say_who_is_a_member_nothing_is_revealed(start):
    rootmail = await start()
    _, mail, card = await mail_in_channel(rootmail)
    rootmail.connector.faults.append((403, {}))  # 5xx would be retried

    answer = await rootmail.press("reveal", action(card, "reveal")["data"])

    assert "could not check that you belong to the owning team" in answer.message
    assert rootmail.connector.created == [] and mail.secret not in everything_shown(rootmail)


async def test_a_reset_link_is_revealed_as_a_button_in_the_private_chat(start):
    rootmail = await start()
    _, mail, card = await mail_in_channel(rootmail, "reset")
    assert "Root password reset \u00b7 critical" in text(card) and "The reset link is hidden." in text(card)
    assert mail.secret not in str(card) and "signin.aws.amazon.com" not in str(card)

    await rootmail.press("reveal", action(card, "reveal")["data"])

    [private] = rootmail.connector.in_private_chat_with(ALICE_ID)
    [open_url] = [a for a in actions(private.cards[0]) if a["type"] == "Action.OpenUrl"]
    assert open_url["url"] == mail.secret


async def test_after_the_window_reveal_is_refused_the_secret_is_wiped_and_the_button_goes(start):
    clock = Clock()
    rootmail = await start(clock, ROOTMAIL_REVEAL_MINUTES="15")
    address, mail, card = await mail_in_channel(rootmail)
    clock.advance(minutes=15, seconds=1)

    answer = await rootmail.press("reveal", action(card, "reveal")["data"])

    assert "reveal window of this mail has closed" in answer.message and rootmail.connector.created == []
    assert await wipe_expired(rootmail.client.app[STORE], clock, on_wiped=rootmail.client.app[REVEALER].expired) == 1
    stored = (await rootmail.store.recent_mails(address, 1))[0]
    assert stored.secret == "" and stored.state is MailState.FORWARDED
    await rootmail.settle()
    [update] = updates_of(rootmail, stored.activity_id)
    assert "it has been wiped" in text(update.cards[0]) and not [a for a in actions(update.cards[0])
                                                                 if a.get("verb") == "reveal"]
    refused = (await rootmail.store.audit_for(address, 5))[0]
    assert refused.detail["reason"] == "expired"


async def test_a_mail_without_a_secret_has_no_reveal_button(start):
    rootmail = await start()
    _, _, card = await mail_in_channel(rootmail, "billing")
    assert "Billing \u00b7 normal" in text(card)
    verbs = [a.get("verb") for a in actions(card)]
    assert "reveal" not in verbs and "lookup" in verbs
    # the demo billing mail names its AWS account and the address has none yet: one click links it (cards.mail_account)
    assert "link" in verbs


async def test_a_stale_reveal_button_gets_a_friendly_answer(start):
    rootmail = await start()
    answer = await rootmail.press("reveal", {"rootmail": "reveal", "mail": "no-such-mail"})
    assert answer.message == "RootMail no longer has this mail."


async def test_mail_for_an_unknown_address_is_revealed_to_members_of_the_admin_conversation_only(start):
    rootmail = await start()
    await rootmail.say("help", teams.PERSONAL)
    rootmail.connector.rosters[teams.PERSONAL.conversation_id] = {ALICE_ID}
    mail = aws_mail("verification", "stray@example.com")
    before = len(rootmail.connector.sent)
    await deliver(rootmail, mail.message, "stray@example.com")
    card = await posted_in(rootmail, teams.PERSONAL.conversation_id, before)
    assert "Mail for an address RootMail does not know" in text(card) and mail.secret not in str(card)

    rootmail.connector.installed.add(ALICE_ID)
    refused = await rootmail.press("reveal", action(card, "reveal")["data"], teams.PERSONAL, teams.BOB)
    sent = await rootmail.press("reveal", action(card, "reveal")["data"], teams.PERSONAL)

    assert refused.message.startswith("Only members of the admin conversation")
    assert sent.message.startswith("Sent to you")
    [private] = rootmail.connector.in_private_chat_with(ALICE_ID)
    assert mail.secret in text(private.cards[0])
