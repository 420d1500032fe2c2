"""The mailbox pool: mailboxes, and aliases that are handed out once."""
from __future__ import annotations

import asyncio

from core.model import Mailbox, Strategy
from tests.contract.conftest import address

POOL = "pool@example.com"


def aliases(n: int, prefix: str = "acct") -> list[str]:
    return [f"{prefix}-{i:03d}@example.com" for i in range(n)]


async def test_mailboxes_are_saved_and_replaced(store):
    await store.save_mailbox(Mailbox("pool@example.com", Strategy.ALIAS, 300))
    await store.save_mailbox(Mailbox("aws@example.com", Strategy.PLUS))
    await store.save_mailbox(Mailbox("pool@example.com", Strategy.ALIAS, 350, "draining"))

    assert sorted(await store.mailboxes(), key=lambda m: m.address) == [
        Mailbox("aws@example.com", Strategy.PLUS, 300, "active"),
        Mailbox("pool@example.com", Strategy.ALIAS, 350, "draining"),
    ]


async def test_adding_aliases_counts_only_new_ones(store):
    assert await store.add_aliases(POOL, aliases(5)) == 5
    assert await store.add_aliases(POOL, aliases(8)) == 3
    assert await store.add_aliases(POOL, aliases(8)) == 0

    assert await store.free_alias_count(POOL) == 8
    assert await store.free_alias_count("other@example.com") == 0


async def test_claimed_aliases_are_not_added_back_as_free(store):
    await store.add_aliases(POOL, aliases(2))
    claimed = await store.claim_alias(POOL)

    assert await store.add_aliases(POOL, aliases(2)) == 0

    assert await store.free_alias_count(POOL) == 1
    assert await store.claim_alias(POOL) not in (None, claimed)


async def test_an_alias_already_used_by_an_address_is_never_added(store):
    await store.create_address(address("acct-000@example.com", mailbox=POOL))

    assert await store.add_aliases(POOL, aliases(3)) == 2

    assert await store.free_alias_count(POOL) == 2
    claims = {await store.claim_alias(POOL), await store.claim_alias(POOL), await store.claim_alias(POOL)}
    assert claims == {"acct-001@example.com", "acct-002@example.com", None}


async def test_an_empty_pool_gives_nothing(store):
    assert await store.claim_alias(POOL) is None
    await store.add_aliases(POOL, aliases(1))
    assert await store.claim_alias(POOL) == "acct-000@example.com"
    assert await store.claim_alias(POOL) is None


async def test_concurrent_claims_never_share_an_alias(store):
    await store.add_aliases(POOL, aliases(60))

    claimed = await asyncio.gather(*(store.claim_alias(POOL) for _ in range(50)))

    assert None not in claimed
    assert len(set(claimed)) == 50
    assert set(claimed) <= set(aliases(60))
    assert await store.free_alias_count(POOL) == 10


async def test_claims_stay_within_their_mailbox(store):
    await store.add_aliases(POOL, aliases(2, "pool"))
    await store.add_aliases("other@example.com", aliases(2, "other"))

    got = {await store.claim_alias(POOL), await store.claim_alias(POOL), await store.claim_alias(POOL)}

    assert got == {"pool-000@example.com", "pool-001@example.com", None}
    assert await store.free_alias_count("other@example.com") == 2


async def test_a_released_alias_can_be_claimed_again(store):
    await store.add_aliases(POOL, aliases(1))
    alias = await store.claim_alias(POOL)

    await store.release_alias(alias)

    assert await store.free_alias_count(POOL) == 1
    assert await store.claim_alias(POOL) == alias


async def test_an_alias_with_an_address_is_not_released(store):
    await store.add_aliases(POOL, aliases(1))
    alias = await store.claim_alias(POOL)
    await store.create_address(address(alias, mailbox=POOL))

    await store.release_alias(alias)

    assert await store.free_alias_count(POOL) == 0
    assert await store.claim_alias(POOL) is None


async def test_releasing_a_free_or_unknown_alias_changes_nothing(store):
    await store.add_aliases(POOL, aliases(1))

    await store.release_alias("acct-000@example.com")
    await store.release_alias("never-added@example.com")

    assert await store.free_alias_count(POOL) == 1
