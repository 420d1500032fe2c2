"""Conversations, the audit trail and flags."""
from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from core.errors import DuplicateRequest
from core.model import AuditEvent, Owner
from tests.contract.conftest import OTHER_TEAM, T0, TEAM, address, minutes


async def test_the_store_answers_ping(store):
    await store.ping()


async def test_a_conversation_survives_with_its_reference(store):
    await store.save_conversation(TEAM)
    await store.save_conversation(OTHER_TEAM)

    found = await store.get_conversation(TEAM.conversation_id)

    assert found == TEAM
    assert found.reference == TEAM.reference
    assert await store.get_conversation("19:unknown@thread.tacv2") is None


async def test_saving_a_conversation_again_replaces_it(store):
    await store.save_conversation(TEAM)
    moved = replace(TEAM, name="Platform (renamed)", reference={"serviceUrl": "https://smba.example/emea/"})

    await store.save_conversation(moved)

    found = await store.get_conversation(TEAM.conversation_id)
    assert found.name == "Platform (renamed)"
    assert found.reference == {"serviceUrl": "https://smba.example/emea/"}


async def test_conversations_are_listed_by_id_up_to_the_limit(store):
    chat = Owner("a:personal-bob", "personal chat", tenant_id="tenant-1")
    for owner in (TEAM, OTHER_TEAM, chat):
        await store.save_conversation(owner)
    await store.save_conversation(replace(TEAM, name="Platform (renamed)"))  # saved again: still listed once

    listed = await store.list_conversations(10)

    assert [o.conversation_id for o in listed] == [OTHER_TEAM.conversation_id, TEAM.conversation_id,
                                                   chat.conversation_id]
    assert listed[1].name == "Platform (renamed)" and listed[1].reference == TEAM.reference
    assert [o.conversation_id for o in await store.list_conversations(2)] == [OTHER_TEAM.conversation_id,
                                                                              TEAM.conversation_id]
    assert await store.list_conversations(0) == []


async def test_personal_chat_ids_with_odd_characters_work(store):
    odd = Owner("a:1Xy_Z+/abc?d#e%20f", "Alice (personal)")

    await store.save_conversation(odd)

    assert await store.get_conversation("a:1Xy_Z+/abc?d#e%20f") == odd


async def test_audit_reads_newest_first_for_one_subject(store):
    for i, action in enumerate(["allocate", "link", "reveal-code", "retire"]):
        await store.append_audit(AuditEvent(T0 + minutes(i), "aad-alice", action, "aws+billing@example.com",
                                            {"step": i}))
    await store.append_audit(AuditEvent(T0, "aad-bob", "allocate", "aws+other@example.com"))

    events = await store.audit_for("aws+billing@example.com", 3)

    assert [e.action for e in events] == ["retire", "reveal-code", "link"]
    assert events[0] == AuditEvent(T0 + minutes(3), "aad-alice", "retire", "aws+billing@example.com", {"step": 3})
    assert await store.audit_for("aws+nobody@example.com", 10) == []


async def test_audit_keeps_append_order_when_times_tie(store):
    for action in ["first", "second", "third"]:
        await store.append_audit(AuditEvent(T0, "aad-alice", action, "aws+billing@example.com"))

    assert [e.action for e in await store.audit_for("aws+billing@example.com", 10)] == ["third", "second", "first"]


async def test_flags_are_set_read_and_deleted(store):
    assert await store.get_flag("pool-low:pool@example.com") is None

    await store.set_flag("pool-low:pool@example.com", "notified")
    await store.set_flag("pool-low:pool@example.com", "notified-again")
    assert await store.get_flag("pool-low:pool@example.com") == "notified-again"

    await store.delete_flag("pool-low:pool@example.com")
    await store.delete_flag("never-set")
    assert await store.get_flag("pool-low:pool@example.com") is None


async def test_add_flag_never_overwrites(store):
    assert await store.add_flag("graph-subscription", "sub-1") is True
    assert await store.add_flag("graph-subscription", "sub-2") is False
    assert await store.get_flag("graph-subscription") == "sub-1"


async def test_one_racer_wins_add_flag(store):
    results = await asyncio.gather(*(store.add_flag("leader", f"app-{n}") for n in range(20)))

    assert results.count(True) == 1
    assert await store.get_flag("leader") == f"app-{results.index(True)}"


async def test_an_address_is_created_with_its_audit_event_and_both_read_back_in_order(store):
    created = AuditEvent(T0, "aad-alice", "allocate", "aws+billing@example.com", {"mailbox": "aws@example.com"})
    record = await store.create_address(address(), created)
    await store.append_audit(AuditEvent(T0 + minutes(1), "aad-alice", "link", "aws+billing@example.com"))
    await store.update_address(replace(record, account_id="111122223333"))  # a replace keeps the event
    await store.append_audit(AuditEvent(T0 + minutes(2), "aad-alice", "retire", "aws+billing@example.com"))

    assert await store.audit_for("aws+billing@example.com", 10) == [
        AuditEvent(T0 + minutes(2), "aad-alice", "retire", "aws+billing@example.com"),
        AuditEvent(T0 + minutes(1), "aad-alice", "link", "aws+billing@example.com"),
        created]
    assert [e.action for e in await store.audit_for("aws+billing@example.com", 2)] == ["retire", "link"]
    assert [e.action for e in await store.audit_for("AWS+Billing@example.com", 0)] == []


async def test_an_address_that_is_not_created_leaves_no_audit_event(store):
    await store.create_address(address(request_id="req-1"))
    refused = AuditEvent(T0, "aad-bob", "allocate", "aws+second@example.com")

    with pytest.raises(DuplicateRequest):
        await store.create_address(address("aws+second@example.com", request_id="req-1"), refused)

    assert await store.audit_for("aws+second@example.com", 10) == []
    assert await store.get_address("aws+second@example.com") is None
