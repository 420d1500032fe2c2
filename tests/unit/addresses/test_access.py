"""The authorization policy on its own: tenants, admins by id or group, requesters, owners."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from core.addresses.access import Access, AccessPolicy, StaticGroups
from core.model import Owner, Person, RootAddress

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
ALICE, BOB, CAROL = Person("29:a", "Alice", "aad-alice"), Person("29:b", "Bob", "AAD-BOB"), Person("29:c", "Carol")
PLATFORM, PAYMENTS, ADMINS = Owner("19:platform"), Owner("19:payments"), Owner("a:admins")
RECORD = RootAddress("aws-0001@example.com", "aws@example.com", "Payments", "production", "p", PLATFORM, ALICE, T0, T0)
GROUPS = StaticGroups({"admins-group": frozenset({"aad-bob"}), "requesters": frozenset({"aad-alice"})})


def access(**policy) -> Access:
    return Access(AccessPolicy(**policy), GROUPS)


def test_tenants_are_allowed_when_listed_or_when_no_list_is_set():
    assert access().tenant_allowed("any-tenant")
    listed = access(allowed_tenants=frozenset({"tenant-1"}))
    assert listed.tenant_allowed("TENANT-1") and not listed.tenant_allowed("tenant-2") and not listed.tenant_allowed("")


async def test_admins_are_named_by_object_id_or_by_group_never_by_display_name():
    by_id = access(admins=frozenset({"aad-alice"}))
    assert await by_id.is_admin(ALICE) and not await by_id.is_admin(BOB)
    assert not await by_id.is_admin(Person("29:x", "aad-alice", ""))
    by_group = access(admin_group="ADMINS-GROUP")
    assert await by_group.is_admin(BOB) and not await by_group.is_admin(ALICE) and not await by_group.is_admin(CAROL)


async def test_requesters_are_everyone_unless_a_group_is_set():
    assert await access().may_request(CAROL)
    grouped = access(requester_group="requesters", admins=frozenset({"aad-bob"}))
    assert await grouped.may_request(ALICE) and await grouped.may_request(BOB)
    refused = await grouped.may_request(CAROL)
    assert not refused and "requester group" in refused.reason


async def test_the_owning_conversation_and_admins_may_view_and_change_an_address():
    policy = access(admins=frozenset({"aad-bob"}), admin_conversation="a:admins")
    assert await policy.may_view(CAROL, PLATFORM, RECORD) and await policy.may_change(CAROL, PLATFORM, RECORD)
    assert await policy.may_change(BOB, PAYMENTS, RECORD) and await policy.may_change(CAROL, ADMINS, RECORD)
    refused = await policy.may_change(CAROL, PAYMENTS, RECORD)
    assert not refused and "belongs to another channel" in refused.reason
    assert not await policy.may_view(CAROL, PAYMENTS, RECORD)


def test_static_groups_come_from_a_json_file(tmp_path):
    good = tmp_path / "groups.json"
    good.write_text(json.dumps({"G1": ["AAD-X", "aad-y"]}))
    assert StaticGroups.from_file(good).members == {"g1": frozenset({"aad-x", "aad-y"})}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"g1": "aad-x"}))
    with pytest.raises(ValueError, match="expected"):
        StaticGroups.from_file(bad)
