"""Allocation through core.addresses.allocation.Allocator: many people asking at once still get distinct addresses."""
from __future__ import annotations

import asyncio
import itertools

from core.addresses.allocation import Allocator, load_pool
from core.errors import InvalidRequest, PoolExhausted
from core.model import Mailbox, Strategy
from core.addresses.rules import NewAddressRequest
from tests.contract.conftest import ALICE, T0, TEAM

ALIASES = Mailbox("pool@example.com", Strategy.ALIAS, 300)
PLUS = Mailbox("aws@example.com", Strategy.PLUS)


def allocator(store, suffixes=None) -> Allocator:
    counter = itertools.count()
    return Allocator(store, lambda: T0, suffixes or (lambda: f"{next(counter):04x}"), low_watermark=5)


def request(n: int, account_id: str | None = None) -> NewAddressRequest:
    return NewAddressRequest(f"Team {n} Prod", "production", "workloads", account_id, f"req-{n}")


async def test_fifty_concurrent_allocations_get_fifty_distinct_aliases(store):
    await load_pool(store, [(ALIASES, [f"acct-{i:03d}@example.com" for i in range(60)])], low_watermark=5)
    allocate = allocator(store).allocate

    results = await asyncio.gather(*(allocate(request(n), TEAM, ALICE) for n in range(50)))

    addresses = [r.record.address for r in results]
    assert all(r.created for r in results)
    assert len(set(addresses)) == 50
    assert await store.count_addresses() == 50
    assert await store.free_alias_count(ALIASES.address) == 10
    for n, result in enumerate(results):
        assert (await store.get_by_request_id(f"req-{n}")).address == result.record.address


async def test_concurrent_plus_allocations_never_share_an_address(store):
    await load_pool(store, [(PLUS, [])], low_watermark=5)
    suffixes = itertools.cycle(["aaaa", "bbbb", "cccc", "dddd"])  # room for exactly four addresses
    allocate = allocator(store, lambda: next(suffixes)).allocate

    results = await asyncio.gather(*(allocate(NewAddressRequest("Same Name", "production", "x", None, f"req-{n}"),
                                              TEAM, ALICE) for n in range(6)),
                                   return_exceptions=True)

    created = sorted(r.record.address for r in results if not isinstance(r, BaseException))
    assert created == [f"aws+same-name-{s}@example.com" for s in ("aaaa", "bbbb", "cccc", "dddd")]
    assert [type(r) for r in results if isinstance(r, BaseException)] == [PoolExhausted, PoolExhausted]
    assert await store.count_addresses() == 4


async def test_a_double_submitted_request_gets_one_address_and_returns_the_spare_alias(store):
    await load_pool(store, [(ALIASES, ["acct-000@example.com", "acct-001@example.com"])], low_watermark=0)
    allocate = allocator(store).allocate

    first, second = await asyncio.gather(allocate(request(1), TEAM, ALICE), allocate(request(1), TEAM, ALICE))

    assert first.record.address == second.record.address
    assert [first.created, second.created].count(True) == 1
    assert await store.count_addresses() == 1
    assert await store.free_alias_count(ALIASES.address) == 1


async def test_an_account_id_is_linked_to_one_allocation_only(store):
    await load_pool(store, [(ALIASES, [f"acct-{i:03d}@example.com" for i in range(10)])], low_watermark=0)
    allocate = allocator(store).allocate

    results = await asyncio.gather(*(allocate(request(n, account_id="111122223333"), TEAM, ALICE) for n in range(5)),
                                   return_exceptions=True)

    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert [type(r) for r in results if isinstance(r, BaseException)] == [InvalidRequest] * 4
    assert await store.count_addresses() == 1
    assert await store.free_alias_count(ALIASES.address) == 9
