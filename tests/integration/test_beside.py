"""Replies beside, not instead: a button that is not about its own card answers in its thread and leaves it as it was.

Universal Actions (msteams-docs Work-with-Universal-Actions-for-Adaptive-Cards.md): a card in the invoke response
replaces the pressed card for the presser; a message response (application/vnd.microsoft.activity.message) is shown to
the presser and leaves the card alone.
"""
from __future__ import annotations

from tests.cardwalk import action, text
from tests.fakes import teams
from tests.integration.protection_helpers import start  # noqa: F401  (fixture)
from tests.integration.test_bot_commands import FORM
from tests.integration.test_reveal import mail_in_channel


def posted_id(rootmail, subject: str) -> str:
    """The activity id of RootMail's post whose card mentions `subject`."""
    return next(s.activity_id for s in rootmail.connector.sent if any(subject in text(c) for c in s.cards))


async def test_look_up_on_a_mail_card_answers_in_its_thread_and_the_mail_stays(start):
    rootmail = await start()
    address, mail, card = await mail_in_channel(rootmail)

    pressed = await rootmail.press("lookup", action(card, "lookup")["data"], on=posted_id(rootmail, mail.subject))

    assert pressed.card is None and pressed.message == "RootMail answered below."  # the mail card stays
    [details] = pressed.replies
    assert "Root address" in text(details) and address in text(details) and mail.subject in text(details)
    reply = rootmail.connector.sent[-1]
    assert reply.conversation_id.startswith(teams.PLATFORM.conversation_id + ";messageid=")  # in the card's thread


async def test_show_details_on_the_new_address_goes_beside_and_the_next_steps_stay(rootmail):
    form = await rootmail.say("new")
    result = await rootmail.execute("new.submit", action(form, "new.submit")["data"] | FORM)
    assert "Next steps" in text(result)

    pressed = await rootmail.press("lookup", action(result, "lookup")["data"])

    assert pressed.card is None and "Root address" in text(pressed.replies[0])


async def test_selecting_a_row_of_a_list_goes_beside_the_list(rootmail):
    form = await rootmail.say("new")
    await rootmail.execute("new.submit", action(form, "new.submit")["data"] | FORM)
    listing = await rootmail.say("list")

    row = next(node["selectAction"] for node in listing["body"] if isinstance(node.get("selectAction"), dict))
    pressed = await rootmail.press("lookup", row["data"])

    assert pressed.card is None and "Root address" in text(pressed.replies[0])


async def test_view_full_mail_shows_the_redacted_text_beside_the_card_and_never_the_code(start):
    rootmail = await start()
    address, mail, card = await mail_in_channel(rootmail)
    assert mail.secret not in str(card)

    pressed = await rootmail.press("mail.full", action(card, "mail.full")["data"])

    [full] = pressed.replies
    shown = text(full)
    assert pressed.card is None and mail.subject in shown and address in shown
    assert "[code hidden]" in shown and mail.secret not in str(full)
    assert "Codes and reset links are removed from the text" in shown


async def test_view_full_mail_is_only_for_the_conversation_it_was_posted_in(start):
    rootmail = await start()
    _, mail, card = await mail_in_channel(rootmail)

    pressed = await rootmail.press("mail.full", action(card, "mail.full")["data"], teams.PAYMENTS, teams.BOB)

    assert pressed.card is None and pressed.replies == [] and pressed.message.startswith("Not your mail")
    assert mail.subject not in pressed.message


async def test_link_on_the_address_card_changes_that_card_in_place_for_everyone(rootmail):
    form = await rootmail.say("new")
    await rootmail.execute("new.submit", action(form, "new.submit")["data"] | FORM)
    record = (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 1)).items[0]
    card = await rootmail.say(f"lookup {record.address}")
    card_id = rootmail.connector.sent[-1].activity_id

    pressed = await rootmail.press("link", action(card, "link")["data"] | {"account_id": "777788889999"}, on=card_id)
    await rootmail.settle()

    assert "777788889999" in text(pressed.card) and pressed.replies == []  # in place, nothing beside
    edits = [u for u in rootmail.connector.updated if u.activity_id == card_id]
    assert edits and "777788889999" in text(edits[-1].cards[0])  # the others in the channel see it too
