"""Leases: one holder at a time across app instances, taken over only once expired."""
from __future__ import annotations

import asyncio

from tests.contract.conftest import T0, minutes


async def test_a_free_lease_is_taken_and_others_are_refused_until_it_expires(store):
    assert await store.acquire_lease("graph-delta:pool@example.com", "instance-a", T0, T0 + minutes(2))

    assert not await store.acquire_lease("graph-delta:pool@example.com", "instance-b", T0 + minutes(1),
                                         T0 + minutes(3))
    assert await store.acquire_lease("graph-delta:pool@example.com", "instance-b", T0 + minutes(2),
                                     T0 + minutes(4))
    assert not await store.acquire_lease("graph-delta:pool@example.com", "instance-a", T0 + minutes(3),
                                         T0 + minutes(5))


async def test_the_holder_extends_its_own_lease(store):
    await store.acquire_lease("graph-subscriptions", "instance-a", T0, T0 + minutes(1))

    assert await store.acquire_lease("graph-subscriptions", "instance-a", T0 + minutes(0.5), T0 + minutes(10))

    assert not await store.acquire_lease("graph-subscriptions", "instance-b", T0 + minutes(5), T0 + minutes(6))


async def test_leases_with_different_names_are_independent(store):
    assert await store.acquire_lease("graph-delta:one@example.com", "instance-a", T0, T0 + minutes(1))
    assert await store.acquire_lease("graph-delta:two@example.com", "instance-b", T0, T0 + minutes(1))


async def test_release_frees_the_lease_only_for_its_holder(store):
    await store.acquire_lease("graph-delta:pool@example.com", "instance-a", T0, T0 + minutes(5))

    await store.release_lease("graph-delta:pool@example.com", "instance-b")
    assert not await store.acquire_lease("graph-delta:pool@example.com", "instance-b", T0, T0 + minutes(5))

    await store.release_lease("graph-delta:pool@example.com", "instance-a")
    assert await store.acquire_lease("graph-delta:pool@example.com", "instance-b", T0, T0 + minutes(5))
    await store.release_lease("never-taken", "instance-a")


async def test_racing_instances_get_one_winner(store):
    await store.acquire_lease("graph-delta:pool@example.com", "old", T0, T0 + minutes(1))  # expired below

    won = await asyncio.gather(*(store.acquire_lease("graph-delta:pool@example.com", f"instance-{i}",
                                                     T0 + minutes(2), T0 + minutes(4)) for i in range(8)))
    fresh = await asyncio.gather(*(store.acquire_lease("graph-subscriptions", f"instance-{i}", T0,
                                                       T0 + minutes(4)) for i in range(8)))

    assert sum(won) == 1 and sum(fresh) == 1


async def test_a_lease_is_not_a_flag(store):
    await store.acquire_lease("graph-delta:pool@example.com", "instance-a", T0, T0 + minutes(5))

    assert await store.get_flag("graph-delta:pool@example.com") is None
    assert await store.flags_with_prefix("graph-delta:", 10) == []
