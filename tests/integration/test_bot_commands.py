"""Bot turns over HTTP: msteams activities in, cards out through the fake Bot Connector."""
from __future__ import annotations

import asyncio

from tests.cardcheck import actions
from tests.cardwalk import action, inputs, text
from tests.fakes import teams

FORM = {"account_name": "Payments Prod", "environment": "production", "purpose": "Card processing",
        "account_id": ""}


async def allocate(rootmail, where=teams.PLATFORM, **values) -> dict:
    form = await rootmail.say("new", where)
    submit = action(form, "new.submit")
    result = await rootmail.execute("new.submit", submit["data"] | FORM | values, where)
    await rootmail.settle()  # RootMail's edit of the form for everyone is done: later faults are the test's
    return result


async def test_new_replies_with_a_form_in_the_thread(rootmail):
    form = await rootmail.say("new")
    assert set(inputs(form)) >= {"account_name", "environment", "purpose", "account_id"}
    reply = rootmail.connector.sent[-1]
    assert reply.conversation_id.startswith(teams.PLATFORM.conversation_id + ";messageid=")
    assert action(form, "new.submit")["data"]["request_id"]


async def test_submitting_the_form_allocates_an_address_owned_by_the_channel(rootmail):
    result = await allocate(rootmail)
    shown = text(result)
    record = (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 10)).items[0]
    assert record.address in shown
    assert record.address.endswith("@example.com") and record.account_name == "Payments Prod"
    assert record.owner.team_name == "Cloud Platform" and record.owner.name == "Platform"
    assert record.requester.aad_object_id == "aad-alice"
    assert record.owner.reference["serviceUrl"] == rootmail.connector.url


async def test_invalid_form_shows_errors_per_field_and_stores_nothing(rootmail):
    card = await allocate(rootmail, account_name="", environment="moon", account_id="12345")
    shown = text(card)
    assert "Enter the AWS account name." in shown
    assert "Choose one of" in shown
    assert "exactly 12 digits" in shown
    assert inputs(card)["purpose"].get("value") == "Card processing"  # what the user typed is kept
    assert await rootmail.store.count_addresses() == 0


async def test_double_submit_allocates_once(rootmail):
    form = await rootmail.say("new")
    data = action(form, "new.submit")["data"] | FORM
    first, second = await asyncio.gather(rootmail.execute("new.submit", data), rootmail.execute("new.submit", data))
    assert await rootmail.store.count_addresses() == 1
    address = (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 10)).items[0].address
    assert address in text(first) and address in text(second)


async def test_fifty_simultaneous_submits_get_fifty_distinct_addresses(unlimited):
    rootmail = unlimited
    form = await rootmail.say("new")
    data = action(form, "new.submit")["data"]
    cards = await asyncio.gather(*(
        rootmail.execute("new.submit", data | FORM | {"request_id": f"req-{i}", "account_name": f"Team {i}"})
        for i in range(50)))
    page = await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 50)
    addresses = {r.address for r in page.items}
    assert len(addresses) == 50
    assert all(any(a in text(c) for a in addresses) for c in cards)


async def test_account_id_already_linked_is_refused_on_the_form(rootmail):
    await allocate(rootmail, account_id="111122223333")
    card = await allocate(rootmail, account_name="Other", account_id="111122223333")
    assert "Already linked to" in text(card)
    assert await rootmail.store.count_addresses() == 1


async def test_lookup_by_account_id_address_and_name(rootmail):
    await allocate(rootmail, account_id="111122223333")
    record = (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 10)).items[0]
    for query in ("111122223333", "1111-2222-3333", record.address.upper(), "payments"):
        card = await rootmail.say(f"lookup {query}")
        assert record.address in text(card) and "Card processing" in text(card), query


async def test_lookup_from_another_channel_hides_details(rootmail):
    await allocate(rootmail, purpose="Secret payments work")
    record = (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 10)).items[0]
    card = await rootmail.say(f"lookup {record.address}", teams.PAYMENTS, teams.BOB)
    assert "belongs to a channel of another team (Cloud Platform / Platform)" in text(card)
    assert "Secret payments work" not in text(card)
    refused = await rootmail.say(f"retire {record.address}", teams.PAYMENTS, teams.BOB)
    assert "belongs to another channel" in text(refused)
    assert (await rootmail.store.get_address(record.address)).state.value == "active"


async def test_list_pages_through_the_channels_addresses(unlimited):
    rootmail = unlimited
    form = await rootmail.say("new")
    data = action(form, "new.submit")["data"]
    for i in range(12):
        await rootmail.execute("new.submit", data | FORM | {"request_id": f"r{i}", "account_name": f"acct-{i:02}"})
    first = await rootmail.say("list")
    assert "acct-00" in text(first) and "acct-09" in text(first) and "acct-10" not in text(first)
    more = action(first, "list.page")
    second = await rootmail.execute("list.page", more["data"])
    assert "acct-10" in text(second) and "acct-11" in text(second) and "acct-00" not in text(second)
    assert not [a for a in actions(second) if a.get("verb") == "list.page"]
    elsewhere = await rootmail.say("list", teams.PAYMENTS)
    assert "acct-" not in text(elsewhere)


async def test_link_then_retire_by_command(rootmail):
    await allocate(rootmail)
    record = (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 10)).items[0]
    linked = await rootmail.say(f"link {record.address} 444455556666")
    assert "444455556666" in text(linked)
    assert (await rootmail.store.get_by_account_id("444455556666")).address == record.address
    question = await rootmail.say(f"retire {record.address}")
    assert f"Retire {record.address}?" in text(question) and "cannot be undone" in text(question)
    assert (await rootmail.store.get_address(record.address)).state.value == "active"  # typed, it only asks
    retired = await rootmail.execute("retire", action(question, "retire")["data"])
    assert "Address retired" in text(retired)
    assert (await rootmail.store.get_address(record.address)).state.value == "retired"
    audit = [e.action for e in await rootmail.store.audit_for(record.address, 10)]
    assert audit == ["retire", "link", "allocate"]


async def test_link_and_retire_buttons_update_the_lookup_card(rootmail):
    await allocate(rootmail)
    record = (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 10)).items[0]
    card = await rootmail.say(f"lookup {record.address}")
    linked = await rootmail.execute("link", action(card, "link")["data"] | {"account_id": "777788889999"})
    assert "777788889999" in text(linked)
    retired = await rootmail.execute("retire", action(linked, "retire")["data"])
    assert "retired" in text(retired).lower()
    assert (await rootmail.store.get_address(record.address)).state.value == "retired"


async def test_help_and_unknown_commands_get_a_helpful_card(rootmail):
    help_card = await rootmail.say("help")
    for verb in ("new", "lookup", "list", "link", "retire"):
        assert verb in text(help_card)
    unknown = await rootmail.say("make me a sandwich **now**")
    assert "didn't understand" in text(unknown).lower() and "lookup" in text(unknown)


async def test_prefix_is_optional_in_personal_chat(rootmail):
    for words in ("/rootmail help", "rootmail help", "help"):
        card = await rootmail.say(words, teams.PERSONAL)
        assert "didn't understand" not in text(card).lower(), words


async def test_cards_name_the_owning_team_and_channel_from_the_teams_api(rootmail):
    result = await allocate(rootmail)
    assert "Cloud Platform" in text(result) and "Platform" in text(result)
    general = teams.Where(teams.PLATFORM.team_id, "channel", teams.PLATFORM.team_id)
    listing = await rootmail.say("list", general)
    assert "General" in text(listing)


async def test_the_welcome_card_is_sent_once_per_conversation(rootmail):
    added = teams.message("", teams.PLATFORM, rootmail.connector.url) | {
        "type": "conversationUpdate", "text": None, "membersAdded": [teams.BOT]}
    for _ in range(3):
        response = await rootmail.send(added)
        assert response.status in (200, 201)
    welcomes = [s for s in rootmail.connector.sent if "Welcome" in str(s.activity.get("summary"))]
    assert len(welcomes) == 1
