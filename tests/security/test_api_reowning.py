"""`PATCH /api/v1/addresses/{address}` with `owner_conversation_id` moved an address, and every future mail and code
of it, to any channel RootMail knew: any caller with RootMail.ReadWrite, no approval, no notice, and the old owner
lost even its `audit`. Owner changes now need the app role RootMail.Transfer, and both channels get a card."""
from __future__ import annotations

import asyncio

from tests.cardwalk import text
from tests.fakes import teams
from tests.integration.test_api import NEW

MOVE = {"owner_conversation_id": teams.PAYMENTS.conversation_id}


async def _cards_in(api, conversation_id: str, count: int = 1) -> list[str]:
    for _ in range(250):
        sent = api.bot.connector.in_conversation(conversation_id)
        if len(sent) >= count:
            return [text(c) for s in sent for c in s.cards]
        await asyncio.sleep(0.02)
    return [text(c) for s in api.bot.connector.in_conversation(conversation_id) for c in s.cards]


async def test_a_read_write_caller_cannot_move_an_address_to_another_channel(api):
    await api.bot.say("help", teams.PAYMENTS)
    _, body = await api.call("POST", "/api/v1/addresses", json=NEW)

    moved, problem = await api.call("PATCH", body["links"]["self"], json=MOVE)
    echoed, _ = await api.call("PATCH", body["links"]["self"], json={"owner_conversation_id": NEW[
        "owner_conversation_id"], "tags": {"k": "v"}})  # naming the current owner changes nothing: allowed

    assert moved.status == 403 and problem["type"] == "/api/v1/problems/missing-role"
    assert "RootMail.Transfer" in problem["detail"]
    assert echoed.status == 200
    record = await api.store.get_address(body["address"])
    assert record.owner.conversation_id == teams.PLATFORM.conversation_id
    assert "transfer" not in [e.action for e in await api.store.audit_for(body["address"], 10)]


async def test_a_transfer_by_the_transfer_role_is_announced_in_both_channels_and_audited(api):
    await api.bot.say("help", teams.PAYMENTS)
    _, body = await api.call("POST", "/api/v1/addresses", json=NEW)
    platform_before = len(api.bot.connector.in_conversation(teams.PLATFORM.conversation_id))
    payments_before = len(api.bot.connector.in_conversation(teams.PAYMENTS.conversation_id))

    moved, patched = await api.call("PATCH", body["links"]["self"], json=MOVE,
                                    roles=("RootMail.ReadWrite", "RootMail.Transfer"))

    assert moved.status == 200 and patched["owner"]["conversation_id"] == teams.PAYMENTS.conversation_id
    left = (await _cards_in(api, teams.PLATFORM.conversation_id, platform_before + 1))[platform_before:]
    joined = (await _cards_in(api, teams.PAYMENTS.conversation_id, payments_before + 1))[payments_before:]
    assert any("moved to another channel" in c.lower() and body["address"] in c for c in left)
    assert any("moved here" in c.lower() and body["address"] in c for c in joined)
    [event] = [e for e in await api.store.audit_for(body["address"], 10) if e.action == "transfer"]
    assert (event.detail["from"], event.detail["to"]) == (teams.PLATFORM.conversation_id,
                                                          teams.PAYMENTS.conversation_id)
