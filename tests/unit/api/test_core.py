"""The core behaviour behind the automation API: tags, and amending an address in one write."""
from __future__ import annotations

from dataclasses import replace

import pytest

from core.errors import AccountIdTaken, AlreadyLinked, InvalidRequest, NotFound
from core.addresses.registry import Amendment, amend
from core.addresses.tags import checked_tags, merged_tags
from storage.sqlite import open_sqlite
from tests.contract.conftest import OTHER_TEAM, T0, address


@pytest.fixture
async def store(tmp_path):
    async with open_sqlite(tmp_path / "core.db") as sqlite:
        yield sqlite


def clock():
    return T0


def test_a_merge_patch_sets_replaces_and_removes_tags():
    assert merged_tags({"a": "1", "b": "2"}, {"b": "3", "c": "4", "a": None}) == {"b": "3", "c": "4"}
    assert merged_tags({"a": "1"}, {}) == {"a": "1"}


@pytest.mark.parametrize("tags, field", [
    ({"": "x"}, "tags."), ({"k" * 129: "x"}, "tags." + "k" * 129), ({"a": "v" * 257}, "tags.a"),
    ({"a": 3}, "tags.a"), ({"semi;colon": "x"}, "tags.semi;colon"), ({" padded": "x"}, "tags. padded"),
    ({"a": None}, "tags.a"),
])
def test_bad_tags_are_named_one_by_one(tags, field):
    with pytest.raises(InvalidRequest) as invalid:
        checked_tags(tags)
    assert list(invalid.value.fields) == [field]


def test_at_most_fifty_tags():
    checked_tags({f"k{i}": "v" for i in range(50)})
    with pytest.raises(InvalidRequest) as invalid:
        merged_tags({f"k{i}": "v" for i in range(50)}, {"one-more": "v"})
    assert "50" in invalid.value.fields["tags"]


async def test_amend_links_transfers_and_tags_in_one_write_and_audits_each(store):
    await store.create_address(replace(address(), tags={"team": "platform"}))

    record = await amend(store, clock, "AWS+Billing@example.com",
                         Amendment(account_id="1111-2222-3333", owner=OTHER_TEAM, tags={"cost": "4711", "team": None}),
                         "sp-1")

    assert (record.account_id, record.owner.conversation_id, record.tags) == (
        "111122223333", OTHER_TEAM.conversation_id, {"cost": "4711"})
    assert record.etag == "2"  # one write
    actions = [e.action for e in await store.audit_for(record.address, 10)]
    assert sorted(actions) == ["link", "tag", "transfer"]


async def test_an_amendment_that_changes_nothing_writes_nothing(store):
    await store.create_address(replace(address(account_id="111122223333"), tags={"a": "1"}))

    record = await amend(store, clock, "aws+billing@example.com",
                         Amendment(account_id="111122223333", tags={"a": "1"}), "sp-1")

    assert record.etag == "1"
    assert await store.audit_for(record.address, 10) == []


async def test_a_linked_address_is_never_moved_to_another_account(store):
    await store.create_address(address(account_id="111122223333"))

    with pytest.raises(AlreadyLinked) as linked:
        await amend(store, clock, "aws+billing@example.com", Amendment(account_id="444455556666"), "sp-1")

    assert linked.value.account_id == "111122223333"
    assert (await store.get_address("aws+billing@example.com")).account_id == "111122223333"


async def test_an_account_id_linked_elsewhere_is_refused(store):
    await store.create_address(address("aws+one@example.com", account_id="111122223333"))
    await store.create_address(address("aws+two@example.com"))

    with pytest.raises(AccountIdTaken):
        await amend(store, clock, "aws+two@example.com", Amendment(account_id="111122223333"), "sp-1")
    assert (await store.get_address("aws+two@example.com")).account_id is None


async def test_amend_refuses_bad_ids_and_unknown_addresses(store):
    await store.create_address(address())

    with pytest.raises(InvalidRequest):
        await amend(store, clock, "aws+billing@example.com", Amendment(account_id="12345"), "sp-1")
    with pytest.raises(NotFound):
        await amend(store, clock, "aws+nobody@example.com", Amendment(tags={"a": "b"}), "sp-1")
