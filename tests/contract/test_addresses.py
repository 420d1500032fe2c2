"""Root addresses: unique forever, found by every key, changed only with a current etag."""
from __future__ import annotations

from dataclasses import replace

import pytest

from core.errors import AccountIdTaken, AddressTaken, Conflict, DuplicateRequest, NotFound
from core.model import AddressState
from tests.contract.conftest import OTHER_TEAM, T0, TEAM, address, minutes


async def test_a_created_address_reads_back_whole(store):
    created = await store.create_address(address(account_id="111122223333", request_id="req-1"))

    assert created.etag
    found = await store.get_address("aws+billing@example.com")
    assert found == address(account_id="111122223333", request_id="req-1")
    assert found.owner.reference == TEAM.reference
    assert found.etag == created.etag
    assert await store.count_addresses() == 1


async def test_an_address_is_taken_forever_whatever_its_case(store):
    await store.create_address(address("aws+billing@example.com"))

    with pytest.raises(AddressTaken):
        await store.create_address(address("AWS+Billing@Example.com", account_name="Someone else"))

    assert (await store.get_address("aws+billing@example.com")).account_name == "Billing Prod"
    assert await store.count_addresses() == 1


async def test_lookup_by_address_ignores_case_and_spaces(store):
    await store.create_address(address("aws+billing@example.com"))

    assert (await store.get_address("  AWS+Billing@EXAMPLE.com ")).address == "aws+billing@example.com"
    assert await store.get_address("aws+other@example.com") is None


async def test_an_account_id_belongs_to_one_address(store):
    await store.create_address(address("aws+one@example.com", account_id="111122223333"))

    with pytest.raises(AccountIdTaken) as taken:
        await store.create_address(address("aws+two@example.com", account_id="111122223333"))

    assert taken.value.address == "aws+one@example.com"
    assert await store.get_address("aws+two@example.com") is None
    assert (await store.get_by_account_id("111122223333")).address == "aws+one@example.com"


async def test_a_request_id_allocates_once(store):
    await store.create_address(address("aws+one@example.com", request_id="req-42"))

    with pytest.raises(DuplicateRequest) as duplicate:
        await store.create_address(address("aws+two@example.com", request_id="req-42"))

    assert duplicate.value.address == "aws+one@example.com"
    assert await store.get_address("aws+two@example.com") is None
    assert await store.count_addresses() == 1


async def test_a_failed_create_leaves_its_request_and_account_ids_free(store):
    await store.create_address(address("aws+one@example.com"))

    with pytest.raises(AddressTaken):
        await store.create_address(address("aws+one@example.com", account_id="111122223333", request_id="req-7"))

    assert await store.get_by_request_id("req-7") is None
    assert await store.get_by_account_id("111122223333") is None
    second = await store.create_address(address("aws+two@example.com", account_id="111122223333", request_id="req-7"))
    assert (await store.get_by_request_id("req-7")).address == second.address


async def test_every_key_finds_the_same_record(store):
    await store.create_address(address("aws+one@example.com", account_id="111122223333", request_id="req-1"))
    await store.create_address(address("aws+two@example.com", account_id="444455556666", request_id="req-2"))

    assert (await store.get_by_account_id("444455556666")).address == "aws+two@example.com"
    assert (await store.get_by_request_id("req-1")).address == "aws+one@example.com"
    assert await store.get_by_account_id("999999999999") is None
    assert await store.get_by_request_id("req-unknown") is None


async def test_linking_an_account_id_makes_it_findable(store):
    created = await store.create_address(address())

    linked = await store.update_address(replace(created, account_id="111122223333", updated_at=T0 + minutes(5)))

    assert linked.etag and linked.etag != created.etag
    found = await store.get_by_account_id("111122223333")
    assert found.address == "aws+billing@example.com"
    assert found.updated_at == T0 + minutes(5)


async def test_an_account_id_linked_elsewhere_cannot_be_linked_again(store):
    await store.create_address(address("aws+one@example.com", account_id="111122223333"))
    two = await store.create_address(address("aws+two@example.com"))

    with pytest.raises(AccountIdTaken) as taken:
        await store.update_address(replace(two, account_id="111122223333"))

    assert taken.value.address == "aws+one@example.com"
    assert (await store.get_address("aws+two@example.com")).account_id is None
    assert (await store.get_by_account_id("111122223333")).address == "aws+one@example.com"


async def test_changing_the_account_id_frees_the_old_one(store):
    one = await store.create_address(address("aws+one@example.com", account_id="111122223333"))

    await store.update_address(replace(one, account_id="444455556666"))

    assert await store.get_by_account_id("111122223333") is None
    assert (await store.get_by_account_id("444455556666")).address == "aws+one@example.com"
    await store.create_address(address("aws+two@example.com", account_id="111122223333"))
    assert (await store.get_by_account_id("111122223333")).address == "aws+two@example.com"


async def test_retiring_keeps_the_address_taken(store):
    created = await store.create_address(address(account_id="111122223333"))

    await store.update_address(replace(created, state=AddressState.RETIRED))

    assert (await store.get_address("aws+billing@example.com")).state is AddressState.RETIRED
    with pytest.raises(AddressTaken):
        await store.create_address(address())


async def test_a_stale_etag_loses_and_changes_nothing(store):
    created = await store.create_address(address())
    await store.update_address(replace(created, purpose="first writer"))

    with pytest.raises(Conflict):
        await store.update_address(replace(created, purpose="second writer", account_id="111122223333"))

    found = await store.get_address("aws+billing@example.com")
    assert found.purpose == "first writer"
    assert found.account_id is None
    assert await store.get_by_account_id("111122223333") is None


async def test_updating_an_unknown_address_is_not_found(store):
    with pytest.raises(NotFound):
        await store.update_address(address("aws+ghost@example.com"))


async def test_search_matches_name_or_address_fragments_in_any_case(store):
    await store.create_address(address("aws+pay-prod@example.com", account_name="Payments Prod"))
    await store.create_address(address("aws+pay-dev@example.com", account_name="Payments Dev"))
    await store.create_address(address("aws+data@example.com", account_name="Data Lake"))

    by_name = await store.search_addresses("PAYMENTS", 10)
    by_address = await store.search_addresses("Lake", 10)
    by_fragment = await store.search_addresses("+data@", 10)

    assert sorted(r.address for r in by_name) == ["aws+pay-dev@example.com", "aws+pay-prod@example.com"]
    assert [r.address for r in by_address] == ["aws+data@example.com"]
    assert [r.address for r in by_fragment] == ["aws+data@example.com"]
    assert len(await store.search_addresses("aws", 2)) == 2
    assert await store.search_addresses("nothing-like-it", 10) == []


async def test_search_takes_wildcard_characters_literally(store):
    await store.create_address(address("aws+a_b@example.com", account_name="100% prod"))
    await store.create_address(address("aws+axb@example.com", account_name="1000 prod"))

    assert [r.address for r in await store.search_addresses("a_b", 10)] == ["aws+a_b@example.com"]
    assert [r.address for r in await store.search_addresses("0%", 10)] == ["aws+a_b@example.com"]


async def test_listing_by_owner_pages_oldest_first_without_gaps_or_repeats(store):
    for i in range(25):
        await store.create_address(address(f"aws+team-{i:02d}@example.com", at=T0 + minutes(i)))
        if i % 3 == 0:
            await store.create_address(address(f"aws+other-{i:02d}@example.com", owner=OTHER_TEAM, at=T0 + minutes(i)))

    pages, token = [], None
    while True:
        page = await store.list_by_owner(TEAM.conversation_id, 10, token)
        pages.append([r.address for r in page.items])
        token = page.continuation
        if token is None:
            break

    assert [len(p) for p in pages] == [10, 10, 5]
    assert sum(pages, []) == [f"aws+team-{i:02d}@example.com" for i in range(25)]


async def test_listing_a_full_last_page_ends_without_an_empty_page(store):
    for i in range(20):
        await store.create_address(address(f"aws+team-{i:02d}@example.com", at=T0 + minutes(i)))

    first = await store.list_by_owner(TEAM.conversation_id, 10)
    second = await store.list_by_owner(TEAM.conversation_id, 10, first.continuation)

    assert len(second.items) == 10
    assert second.continuation is None
    assert (await store.list_by_owner("19:nobody@thread.tacv2", 10)).items == []
