"""Form request ids and the API's Idempotency-Keys shared one namespace, and a replayed `new` submit ignored who
replayed it: a user could replay another channel's request id and be shown its address, or submit a form under a
pipeline's idempotency id so the pipeline's next allocation came back as the user's address."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from core.addresses import registry
from tests.cardwalk import action, text
from tests.fakes import teams
from tests.fakes.jwks import PIPELINE_OID
from tests.integration.test_api import NEW
from tests.integration.test_bot_commands import FORM


async def test_another_channels_request_id_replayed_elsewhere_does_not_show_its_address(api):
    form = await api.bot.say("new", teams.PLATFORM)
    request_id = action(form, "new.submit")["data"]["request_id"]
    theirs = await api.bot.execute("new.submit", {"request_id": request_id} | FORM, teams.PLATFORM)
    address = (await api.store.list_by_owner(teams.PLATFORM.conversation_id, 1)).items[0].address

    replayed = await api.bot.execute("new.submit", {"request_id": request_id} | FORM, teams.PAYMENTS, teams.BOB)

    assert address in text(theirs) and address not in text(replayed)
    assert (await api.store.get_address(address)).owner.conversation_id == teams.PLATFORM.conversation_id


async def test_a_form_cannot_squat_a_pipelines_idempotency_key(api):
    # the id the API stored for this caller's key before the fix: "api:" + sha256(object id \n key)
    squatted = "api:" + hashlib.sha256(f"{PIPELINE_OID}\naft-0042".encode()).hexdigest()[:40]
    await api.bot.execute("new.submit", {"request_id": squatted} | FORM | {"account_name": NEW["account_name"],
                                                                            "purpose": NEW["purpose"]})
    squatter = (await api.store.list_by_owner(teams.PLATFORM.conversation_id, 1)).items[0].address

    response, body = await api.call("POST", "/api/v1/addresses", json=NEW, headers={"Idempotency-Key": "aft-0042"})

    assert response.status == 201 and body["address"] != squatter
    assert await api.store.count_addresses() == 2


async def test_replaying_a_submit_after_the_address_moved_away_shows_nothing_of_it(api):
    form = await api.bot.say("new", teams.PLATFORM)
    request_id = action(form, "new.submit")["data"]["request_id"]
    await api.bot.execute("new.submit", {"request_id": request_id} | FORM, teams.PLATFORM)
    await api.bot.say("help", teams.PAYMENTS)
    record = (await api.store.list_by_owner(teams.PLATFORM.conversation_id, 1)).items[0]
    payments = await api.store.get_conversation(teams.PAYMENTS.conversation_id)
    await registry.amend(api.store, lambda: datetime.now(timezone.utc), record.address,
                         registry.Amendment(owner=payments), "aad-admin")

    replayed = await api.bot.execute("new.submit", {"request_id": request_id} | FORM, teams.PLATFORM)

    assert "Owned by another channel" in text(replayed)
    assert "Card processing" not in text(replayed)
