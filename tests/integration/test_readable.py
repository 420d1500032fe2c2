"""Readable everywhere: names, not ids; words for events and places; a short welcome; "did you mean"; usage, not alarms."""
from __future__ import annotations

from tests.cardwalk import action, text
from tests.fakes import teams
from tests.integration.protection_helpers import owned_address, start  # noqa: F401  (fixture)
from tests.integration.test_access import transfer_asked
from tests.integration.test_bot_commands import FORM

GROUP = teams.Where("19:leads@thread.v2", "groupChat")
OTHER_PLATFORM_CHANNEL = teams.Where("19:platform-ops@thread.tacv2", "channel", teams.PLATFORM.team_id,
                                     teams.PLATFORM.team_name, "Platform Ops")


async def test_audit_names_people_and_conversations_and_says_what_happened_in_words(start):
    rootmail = await start()
    address = await owned_address(rootmail)
    await rootmail.say(f"link {address} 111122223333")
    _, _, request, request_id = await transfer_asked(rootmail, address)
    await rootmail.press("transfer.decline", action(request, "transfer.decline")["data"], on=request_id)

    shown = text(await rootmail.say(f"audit {address}"))

    for words in ("Address given out", "Linked to an AWS account", "Move requested", "Move declined",
                  "by Alice Admin", "by Bob Builder"):
        assert words in shown, words
    assert "aad-alice" not in shown and "aad-bob" not in shown and "transfer-requested" not in shown


async def test_a_refusal_in_the_audit_says_what_was_refused(start):
    rootmail = await start()
    address = await owned_address(rootmail)
    await rootmail.say(f"link {address} 111122223333", teams.PAYMENTS, teams.BOB)

    shown = text(await rootmail.say(f"audit {address}"))

    assert "Refused: link" in shown and "by Bob Builder" in shown


async def test_places_are_named_as_a_person_sees_them(start):
    rootmail = await start()
    address = await owned_address(rootmail)

    same_team = text(await rootmail.say(f"lookup {address}", OTHER_PLATFORM_CHANNEL, teams.BOB))
    other_team = text(await rootmail.say(f"lookup {address}", teams.PAYMENTS, teams.BOB))
    group = text(await rootmail.say(f"lookup {address}", GROUP, teams.BOB))

    assert "belongs to another channel of this team (Platform)" in same_team
    assert "belongs to a channel of another team (Cloud Platform / Platform)" in other_team
    assert "belongs to a channel of another team" in group and "Owned by another channel" in group
    mine = await owned_address(rootmail, GROUP)
    from_channel = text(await rootmail.say(f"lookup {mine}", teams.PAYMENTS, teams.BOB))
    assert "Owned by a group chat" in from_channel and "belongs to a group chat" in from_channel
    personal = await owned_address(rootmail, teams.PERSONAL)
    assert "someone's personal chat" in text(await rootmail.say(f"lookup {personal}", teams.PAYMENTS, teams.BOB))


async def test_a_group_chat_without_a_name_is_called_a_group_chat(rootmail):
    listing = await rootmail.say("list", GROUP)
    assert "Root addresses owned by group chat" in text(listing)


async def test_the_welcome_is_short_and_offers_new_list_and_help(rootmail):
    added = teams.message("", teams.PLATFORM, rootmail.connector.url) | {
        "type": "conversationUpdate", "text": None, "membersAdded": [teams.BOT]}
    await rootmail.send(added)
    [welcome] = (await rootmail.connector.wait_for(1))[0].cards

    assert [a["title"] for a in welcome["actions"]] == ["New address", "List", "Help"]
    assert len(text(welcome)) < 600 and "/rootmail" in text(welcome)
    listed = await rootmail.press("list", action(welcome, "list")["data"])
    assert listed.card is None and "does not own any root addresses" in text(listed.replies[0])
    helped = await rootmail.press("help", action(welcome, "help")["data"])
    assert "Example: lookup 123456789012" in text(helped.replies[0])


async def test_a_typo_gets_did_you_mean_with_the_corrected_command_one_click_away(rootmail):
    form = await rootmail.say("new")
    await rootmail.execute("new.submit", action(form, "new.submit")["data"] | FORM)

    typo = await rootmail.say("lokup payments")

    assert "I didn't understand \u201clokup payments\u201d." in text(typo) and "lookup payments" in text(typo)
    assert "Show this card." not in text(typo)  # not the whole manual
    ran = await rootmail.press("run", action(typo, "run")["data"])
    assert "Payments Prod" in text(ran.replies[0])


async def test_words_that_are_no_command_get_a_short_pointer(rootmail):
    card = await rootmail.say("make me a sandwich")
    assert "I didn't understand" in text(card) and "RootMail knows: new, lookup" in text(card)
    assert not [a for a in card["actions"] if a["verb"] == "run"]


async def test_a_command_without_what_it_needs_gets_an_example_not_an_alarm(rootmail):
    card = await rootmail.say("link")

    assert "Link needs an address and an account id" in text(card)
    assert card["body"][0]["style"] == "accent" and "`" not in str(card)
    example = next(b for b in card["body"] if b.get("fontType") == "Monospace")
    assert example["text"] == "link aws-0001@example.com 123456789012"


async def test_pressing_get_an_address_twice_shows_the_address_as_a_success_both_times(rootmail):
    form = await rootmail.say("new")
    data = action(form, "new.submit")["data"] | FORM

    first = await rootmail.execute("new.submit", data)
    second = await rootmail.execute("new.submit", data)

    address = (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 1)).items[0].address
    for card in (first, second):
        assert text(card).startswith("Your new AWS root e-mail address") and address in text(card)
    assert "Already allocated" not in text(second) and await rootmail.store.count_addresses() == 1
