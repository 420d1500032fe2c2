"""Who may do what: allowed tenants, requesters, owners and admins; every refusal a friendly card, on record."""
from __future__ import annotations

import json

from tests.cardwalk import action, text
from tests.fakes import teams
from tests.integration.protection_helpers import owned_address, posted_in, start  # noqa: F401  (fixture)
from tests.integration.test_bot_commands import FORM


async def test_a_tenant_that_is_not_allowed_is_refused_everything(start):
    rootmail = await start(ROOTMAIL_ALLOWED_TENANTS="tenant-elsewhere")

    card = await rootmail.say("new")
    pressed = await rootmail.press("new.submit", {"request_id": "r1"} | FORM)

    assert "RootMail is not available here" in text(card) and "recorded in RootMail's audit" in text(card)
    assert pressed.message.startswith("RootMail is not available here") and pressed.card is None
    assert await rootmail.store.count_addresses() == 0
    events = await rootmail.store.audit_for(f"tenant:{teams.TENANT}", 10)
    assert [e.action for e in events] == ["refused", "refused"] and events[0].actor == "aad-alice"


async def test_the_bots_own_tenant_is_allowed_by_default_and_listed_tenants_are(start):
    rootmail = await start(ROOTMAIL_ALLOWED_TENANTS=f"other-tenant,{teams.TENANT.upper()}")
    assert "New AWS root e-mail address" in text(await rootmail.say("new"))


async def test_only_the_requester_group_and_admins_may_ask_for_addresses(start, tmp_path):
    groups = tmp_path / "groups.json"
    groups.write_text(json.dumps({"requesters": ["AAD-BOB"]}))
    rootmail = await start(ROOTMAIL_REQUESTER_GROUP="requesters", ROOTMAIL_GROUPS_FILE=str(groups),
                           ROOTMAIL_ADMINS="aad-carol")

    refused = await rootmail.say("new")
    allowed = await rootmail.say("new", user=teams.BOB)
    carol = {"id": "29:carol", "name": "Carol", "aadObjectId": "aad-carol"}
    admin = await rootmail.say("new", user=carol)

    assert "You cannot ask for new addresses" in text(refused) and "requester group" in text(refused)
    assert "New AWS root e-mail address" in text(allowed) and "New AWS root e-mail address" in text(admin)
    submitted = await rootmail.execute("new.submit", action(allowed, "new.submit")["data"] | FORM, user=teams.BOB)
    sneaked = await rootmail.press("new.submit", {"request_id": "r-alice"} | FORM)
    assert "Your new AWS root e-mail address" in text(submitted) and sneaked.message.startswith("You cannot ask")
    assert await rootmail.store.count_addresses() == 1
    [refusal, _] = await rootmail.store.audit_for("access", 10)
    assert (refusal.detail["action"], refusal.actor) == ("new", "aad-alice")


async def test_changing_someone_elses_address_is_refused_and_audited_but_an_admin_may(start):
    rootmail = await start(ROOTMAIL_ADMINS="aad-carol")
    address = await owned_address(rootmail)

    refused = await rootmail.say(f"retire {address}", teams.PAYMENTS, teams.BOB)
    link_refused = await rootmail.say(f"link {address} 111122223333", teams.PAYMENTS, teams.BOB)

    assert "Not allowed" in text(refused) and "belongs to another channel" in text(refused)
    assert "Not allowed" in text(link_refused)
    record = await rootmail.store.get_address(address)
    assert record.state.value == "active" and record.account_id is None
    audit = await rootmail.store.audit_for(address, 10)
    assert [(e.action, e.detail.get("action")) for e in audit[:2]] == [("refused", "link"), ("refused", "retire")]

    carol = {"id": "29:carol", "name": "Carol", "aadObjectId": "aad-carol"}
    asked = await rootmail.say(f"retire {address}", teams.PAYMENTS, carol)
    done = await rootmail.execute("retire", action(asked, "retire")["data"], teams.PAYMENTS, carol)
    assert "Address retired" in text(done) and (await rootmail.store.get_address(address)).state.value == "retired"


async def test_details_and_audit_are_for_the_owning_channel_and_admins(start):
    rootmail = await start(ROOTMAIL_ADMINS="aad-carol")
    address = await owned_address(rootmail)
    await rootmail.say(f"link {address} 111122223333")

    own = await rootmail.say(f"audit {address}")
    other = await rootmail.say(f"audit {address}", teams.PAYMENTS, teams.BOB)
    carol = {"id": "29:carol", "name": "Carol", "aadObjectId": "aad-carol"}
    admin_detail = await rootmail.say(f"lookup {address}", teams.PAYMENTS, carol)

    assert "Audit" in text(own) and "Linked to an AWS account" in text(own) and "Address given out" in text(own)
    assert "111122223333" in text(own) and "by Alice Admin" in text(own)
    assert "Not your address" in text(other) and "111122223333" not in text(other)
    assert "Card processing" in text(admin_detail)
    assert (await rootmail.store.audit_for(address, 1))[0].detail["action"] == "audit"


async def transfer_asked(rootmail, address: str):
    """Bob asks in Payments; returns his thread, the request card posted in Platform, and that card's activity id."""
    await rootmail.say("help", teams.PAYMENTS, teams.BOB)  # RootMail knows the Payments channel
    before = len(rootmail.connector.sent)
    await rootmail.say(f"transfer {address}", teams.PAYMENTS, teams.BOB)
    reply = next(s for s in (await rootmail.connector.wait_for(before + 2))[before:]
                 if s.conversation_id.startswith(teams.PAYMENTS.conversation_id + ";"))
    asked, thread = reply.cards[0], reply.conversation_id
    request = await posted_in(rootmail, teams.PLATFORM.conversation_id, before)
    posted = next(s for s in rootmail.connector.sent if s.conversation_id == teams.PLATFORM.conversation_id)
    return asked, thread, request, posted.activity_id


async def test_transfer_is_asked_in_the_new_channel_and_approved_in_the_owning_one(start):
    rootmail = await start()
    address = await owned_address(rootmail)

    asked, thread, request, request_id = await transfer_asked(rootmail, address)

    assert "Transfer requested" in text(asked) and "Cloud Platform" in text(asked)
    assert "The answer comes in this thread" in text(asked) and thread.startswith(teams.PAYMENTS.conversation_id)
    assert "Bob Builder asks to move this root address" in text(request) and "Payments" in text(request)
    assert (await rootmail.store.get_address(address)).owner.conversation_id == teams.PLATFORM.conversation_id
    not_theirs = await rootmail.press("transfer.approve", action(request, "transfer.approve")["data"],
                                      teams.PAYMENTS, teams.BOB, on=request_id)
    assert not_theirs.message.startswith("You cannot decide this transfer") and not_theirs.card is None

    before = len(rootmail.connector.sent)
    approved = await rootmail.press("transfer.approve", action(request, "transfer.approve")["data"], on=request_id)

    assert "Transfer approved" in text(approved.card)  # in place of the request card
    assert [text(c).split("\n")[0] for c in approved.replies] == ["Transfer approved"]  # only Bob's notice
    record = await rootmail.store.get_address(address)
    assert record.owner.conversation_id == teams.PAYMENTS.conversation_id and record.owner.reference
    told = await posted_in(rootmail, thread, before)  # in the thread Bob asked in, not a new post
    assert "Alice Admin approved it" in text(told)
    await rootmail.settle()
    edits = [u for u in rootmail.connector.updated if u.activity_id == request_id]
    assert edits and "Alice Admin approved moving" in text(edits[-1].cards[0])  # everyone's card, not only Alice's
    again = await rootmail.press("transfer.approve", action(request, "transfer.approve")["data"], on=request_id)
    assert "no longer open" in again.message
    actions = [e.action for e in await rootmail.store.audit_for(address, 10)]
    assert actions[:3] == ["transfer", "refused", "transfer-requested"]
    assert "Payments Prod" in text(await rootmail.say("list", teams.PAYMENTS))


async def test_a_declined_transfer_leaves_the_address_where_it_was(start):
    rootmail = await start()
    address = await owned_address(rootmail)
    _, thread, request, request_id = await transfer_asked(rootmail, address)

    before = len(rootmail.connector.sent)
    declined = await rootmail.press("transfer.decline", action(request, "transfer.decline")["data"], on=request_id)

    assert "Alice Admin declined moving" in text(declined.card)
    assert "declined moving" in text(await posted_in(rootmail, thread, before))
    assert (await rootmail.store.get_address(address)).owner.conversation_id == teams.PLATFORM.conversation_id
    await rootmail.settle()
    assert "declined moving" in text([u for u in rootmail.connector.updated if u.activity_id == request_id][-1].cards[0])


async def test_an_older_transfer_card_cannot_approve_a_newer_request(start):
    rootmail = await start()
    address = await owned_address(rootmail)
    await rootmail.say("help", teams.PAYMENTS, teams.BOB)
    before = len(rootmail.connector.sent)
    await rootmail.say(f"transfer {address}", teams.PAYMENTS, teams.BOB)
    old_card = await posted_in(rootmail, teams.PLATFORM.conversation_id, before)
    await rootmail.say(f"transfer {address}", teams.PAYMENTS, teams.BOB)

    stale = await rootmail.press("transfer.approve", action(old_card, "transfer.approve")["data"])

    assert "no longer open" in stale.message
    assert (await rootmail.store.get_address(address)).owner.conversation_id == teams.PLATFORM.conversation_id


async def test_an_admin_transfers_at_once_and_the_old_channel_is_told(start):
    rootmail = await start(ROOTMAIL_ADMINS="aad-bob")
    address = await owned_address(rootmail)
    before = len(rootmail.connector.sent)

    moved = await rootmail.say(f"transfer {address}", teams.PAYMENTS, teams.BOB)

    assert "Address transferred" in text(moved)
    assert (await rootmail.store.get_address(address)).owner.conversation_id == teams.PAYMENTS.conversation_id
    assert "moved" in text(await posted_in(rootmail, teams.PLATFORM.conversation_id, before))


async def test_a_tenant_that_is_not_allowed_is_not_welcomed_or_remembered(start):
    rootmail = await start(ROOTMAIL_ALLOWED_TENANTS="tenant-elsewhere")
    added = teams._base(teams.PAYMENTS, rootmail.connector.url, teams.BOB, type="conversationUpdate",
                        membersAdded=[teams.BOT])

    response = await rootmail.send(added)

    assert response.status in (200, 201)
    assert rootmail.connector.sent == []
    assert await rootmail.store.get_conversation(teams.PAYMENTS.conversation_id) is None
