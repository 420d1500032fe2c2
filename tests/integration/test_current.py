"""Cards that stay current: RootMail edits the cards it posted when their address changes, Teams refreshes them for up
to 60 people (Universal Actions `refresh.userIds`), and each person's view has only the buttons they may use."""
from __future__ import annotations

import time

from app import GATE
from core.delivery.gate import CREATE, MEMBERS, SEND
from tests.cardwalk import action, actions, text
from tests.fakes import teams
from tests.integration.protection_helpers import owned_address, start  # noqa: F401  (fixture)
from tests.integration.test_access import transfer_asked
from tests.integration.test_reveal import ALICE_ID, BOB_ID, mail_in_channel, updates_of


def verbs(card) -> list[str]:
    return [a.get("verb") for a in card.get("actions", [])]


async def test_linking_an_address_updates_its_mail_cards_and_address_cards(start):
    rootmail = await start()
    address, mail, card = await mail_in_channel(rootmail)
    assert "not linked" in text(card)
    mail_card_id = (await rootmail.store.recent_mails(address, 1))[0].activity_id
    await rootmail.say(f"lookup {address}")
    lookup_id = rootmail.connector.sent[-1].activity_id

    await rootmail.say(f"link {address} 444455556666")
    await rootmail.settle()

    [mail_edit] = updates_of(rootmail, mail_card_id)[-1:]
    assert "444455556666" in text(mail_edit.cards[0]) and "not linked" not in text(mail_edit.cards[0])
    assert mail.secret not in str(mail_edit.cards[0])
    assert "444455556666" in text(updates_of(rootmail, lookup_id)[-1].cards[0])


async def test_retiring_an_address_updates_the_address_card_posted_elsewhere_in_the_channel(start):
    rootmail = await start()
    address = await owned_address(rootmail)
    await rootmail.say(f"lookup {address}")
    lookup_id = rootmail.connector.sent[-1].activity_id

    question = await rootmail.say(f"retire {address}")
    await rootmail.execute("retire", action(question, "retire")["data"])
    await rootmail.settle()

    edited = updates_of(rootmail, lookup_id)[-1].cards[0]
    assert "This address is retired" in text(edited)
    assert "retire" not in verbs(edited) and "link" not in str(verbs(edited))


async def test_a_transfer_updates_the_old_channels_address_card_to_say_where_it_went(start):
    rootmail = await start(ROOTMAIL_ADMINS="aad-bob")
    address = await owned_address(rootmail)
    await rootmail.say(f"lookup {address}")
    lookup_id = rootmail.connector.sent[-1].activity_id

    await rootmail.say(f"transfer {address}", teams.PAYMENTS, teams.BOB)  # an admin moves it at once
    await rootmail.settle()

    moved = text(updates_of(rootmail, lookup_id)[-1].cards[0])
    assert "Owned by another channel" in moved and "Payments" in moved and "Card processing" not in moved


async def test_cards_refresh_by_themselves_for_everyone_in_a_conversation_of_up_to_60(start):
    rootmail = await start()
    members = {f"29:member-{i:02d}" for i in range(12)}
    _, _, card = await mail_in_channel(rootmail, members=members)

    assert card["refresh"]["action"]["verb"] == "refresh"
    assert set(card["refresh"]["userIds"]) == members


async def test_in_a_bigger_team_the_60_most_recently_active_refresh_and_the_rest_refresh_on_request(start):
    rootmail = await start()
    rootmail.connector.rosters[teams.PLATFORM.team_id] = {f"29:member-{i:03d}" for i in range(75)}
    await rootmail.say("help", user=teams.BOB)  # Bob, then Alice, acted in the channel lately
    _, _, card = await mail_in_channel(rootmail, members=[f"29:member-{i:03d}" for i in range(75)])

    assert card["refresh"]["userIds"][:2] == [ALICE_ID, BOB_ID]
    assert len(card["refresh"]["userIds"]) <= 60


async def test_reveal_shows_only_for_those_who_may_reveal(start):
    rootmail = await start()
    _, mail, card = await mail_in_channel(rootmail, members=(ALICE_ID,))
    view = card["refresh"]["action"]["data"]

    alices = await rootmail.press("refresh", view, trigger="automatic")
    bobs = await rootmail.press("refresh", view, user=teams.BOB, trigger="automatic")

    assert "reveal" in verbs(alices.card) and "reveal" not in verbs(bobs.card)
    assert mail.subject in text(bobs.card)  # Bob still sees the mail the channel sees, without the button


async def test_a_refresh_replayed_from_another_conversation_shows_nothing_of_the_mail(start):
    rootmail = await start()
    _, mail, card = await mail_in_channel(rootmail)

    replayed = await rootmail.press("refresh", card["refresh"]["action"]["data"], teams.PAYMENTS, teams.BOB)

    assert mail.subject not in str(replayed.card) and "Verification code" not in str(replayed.card)
    assert "belongs to another conversation" in text(replayed.card)


async def test_approve_and_decline_show_only_for_those_who_may_decide(start):
    rootmail = await start()
    address = await owned_address(rootmail)
    _, _, request, request_id = await transfer_asked(rootmail, address)
    view = request["refresh"]["action"]["data"]

    alices = await rootmail.press("refresh", view, on=request_id, trigger="automatic")
    bobs = await rootmail.press("refresh", view, user=teams.BOB, on=request_id, trigger="automatic")  # he asked
    pressed = await rootmail.press("transfer.approve", action(request, "transfer.approve")["data"], user=teams.BOB,
                                   on=request_id)

    assert verbs(alices.card) == ["transfer.approve", "transfer.decline"]
    assert verbs(bobs.card) == [] and "decides" in text(bobs.card)
    assert pressed.message.startswith("You cannot decide this transfer") and "someone else" in pressed.message
    assert (await rootmail.store.get_address(address)).owner.conversation_id == teams.PLATFORM.conversation_id


async def test_edits_1_1_chats_and_member_reads_count_in_the_same_limiter_as_posts(start):
    rootmail = await start()
    _, _, card = await mail_in_channel(rootmail)
    gate = rootmail.client.app[GATE]
    sends_before = gate.limiter(SEND, teams.PLATFORM.conversation_id).in_window(time.monotonic(), 3600)

    await rootmail.press("reveal", action(card, "reveal")["data"])
    await rootmail.settle()

    now = time.monotonic()
    assert gate.limiter(SEND, teams.PLATFORM.conversation_id).in_window(now, 3600) > sends_before  # the card edit
    assert gate.limiter(CREATE, f"1:1:{ALICE_ID}").in_window(now, 3600) == 1  # the 1:1 chat opened
    assert gate.limiter(MEMBERS, teams.PLATFORM.team_id).in_window(now, 3600) >= 1  # the membership check
    assert gate.shared.in_window(now, 3600) >= 4


async def test_posting_the_request_card_is_remembered_and_its_decision_edits_it(start):
    rootmail = await start()
    address = await owned_address(rootmail)
    _, _, request, request_id = await transfer_asked(rootmail, address)

    await rootmail.press("transfer.decline", action(request, "transfer.decline")["data"], on=request_id)
    await rootmail.settle()

    assert "declined" in text(updates_of(rootmail, request_id)[-1].cards[0])
    assert not [a for a in actions(updates_of(rootmail, request_id)[-1].cards[0])
                if a.get("verb") in ("transfer.approve", "transfer.decline")]
