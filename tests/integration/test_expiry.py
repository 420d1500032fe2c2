"""Revealed copies expire: when the reveal window closes, the private card that carried the code is edited to name the
mail it came from without the code, as the channel card is."""
from __future__ import annotations

from app import REVEALER, STORE
from core.intake.reveal import wipe_expired
from tests.cardwalk import action, text
from tests.integration.protection_helpers import Clock, start  # noqa: F401  (fixture)
from tests.integration.test_reveal import ALICE_ID, mail_in_channel


async def test_the_private_copy_is_removed_when_the_window_closes_and_names_its_mail(start):
    clock = Clock()
    rootmail = await start(clock, ROOTMAIL_REVEAL_MINUTES="15")
    address, mail, card = await mail_in_channel(rootmail)
    await rootmail.press("reveal", action(card, "reveal")["data"])
    [private] = rootmail.connector.in_private_chat_with(ALICE_ID)
    shown = text(private.cards[0])
    assert mail.secret in shown and mail.subject in shown and address in shown
    assert "Received {{DATE(" in shown  # two mails with one subject are told apart by when they came

    clock.advance(minutes=15, seconds=1)
    assert await wipe_expired(rootmail.client.app[STORE], clock, on_wiped=rootmail.client.app[REVEALER].expired) == 1

    [edit] = [u for u in rootmail.connector.updated if u.activity_id == private.activity_id]
    assert edit.conversation_id == private.conversation_id
    gone = text(edit.cards[0])
    assert mail.secret not in str(edit.cards[0]) and "The code from AWS is gone" in gone
    assert mail.subject in gone and address in gone and "Received {{DATE(" in gone
    audit = (await rootmail.store.audit_for(address, 5))
    assert [e for e in audit if e.action == "reveal"][0].detail["message"] == private.activity_id
