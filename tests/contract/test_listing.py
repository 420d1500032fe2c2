"""Listing every address, or those one requester asked for, and tags kept with the record."""
from __future__ import annotations

from dataclasses import replace

from core.model import Person
from tests.contract.conftest import OTHER_TEAM, T0, address, minutes

PIPELINE = Person("app:pipeline-client", "Account Factory", "sp-object-1")
BOB = Person("29:bob", "Bob", "")


async def _all(store, page_size: int, requester: str | None = None) -> list[str]:
    seen, token = [], None
    while True:
        page = await store.list_addresses(page_size, token, requester=requester)
        seen += [r.address for r in page.items]
        assert len(page.items) <= page_size
        if page.continuation is None:
            return seen
        token = page.continuation


async def test_every_address_is_listed_once_oldest_first_across_pages(store):
    for i in range(5):
        owner = OTHER_TEAM if i % 2 else address().owner
        await store.create_address(address(f"aws+n{i}@example.com", at=T0 + minutes(i), owner=owner))

    assert await _all(store, 2) == [f"aws+n{i}@example.com" for i in range(5)]
    assert await _all(store, 5) == [f"aws+n{i}@example.com" for i in range(5)]
    assert (await store.list_addresses(5)).continuation is None


async def test_a_token_that_is_not_ours_lists_from_the_beginning(store):
    for i in range(3):
        await store.create_address(address(f"aws+n{i}@example.com", at=T0 + minutes(i)))

    for token in ("\u00b2", "not a token", "99999999999999999999999"):
        assert [r.address for r in (await store.list_addresses(2, token)).items] == ["aws+n0@example.com",
                                                                                   "aws+n1@example.com"]
        assert len((await store.list_by_owner(address().owner.conversation_id, 2, token)).items) == 2


async def test_an_empty_store_lists_nothing(store):
    page = await store.list_addresses(10)

    assert page.items == [] and page.continuation is None


async def test_listing_by_requester_matches_the_object_id_or_else_the_id(store):
    await store.create_address(replace(address("aws+a@example.com", at=T0), requester=PIPELINE))
    await store.create_address(address("aws+alice@example.com", at=T0 + minutes(1)))
    await store.create_address(replace(address("aws+b@example.com", at=T0 + minutes(2)), requester=PIPELINE))
    await store.create_address(replace(address("aws+bob@example.com", at=T0 + minutes(3)), requester=BOB))
    await store.create_address(replace(address("aws+c@example.com", at=T0 + minutes(4)), requester=PIPELINE))

    assert await _all(store, 2, requester="sp-object-1") == ["aws+a@example.com", "aws+b@example.com",
                                                             "aws+c@example.com"]
    assert await _all(store, 10, requester="29:bob") == ["aws+bob@example.com"]
    assert await _all(store, 10, requester="app:pipeline-client") == []  # the object id wins when there is one
    assert await _all(store, 10, requester="nobody") == []


async def test_tags_are_stored_and_replaced_with_the_record(store):
    created = await store.create_address(replace(address(), tags={"cost-center": "4711", "team": "platform"}))

    assert (await store.get_address(created.address)).tags == {"cost-center": "4711", "team": "platform"}
    updated = await store.update_address(replace(created, tags={"team": "payments"}))
    assert updated.tags == {"team": "payments"}
    assert (await store.get_address(created.address)).tags == {"team": "payments"}
    assert (await store.list_addresses(10)).items[0].tags == {"team": "payments"}


async def test_a_record_without_tags_reads_back_with_none(store):
    await store.create_address(address())

    assert (await store.get_address("aws+billing@example.com")).tags == {}
