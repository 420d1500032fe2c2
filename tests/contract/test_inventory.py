"""What the Exchange alias inventory needs from the store: alias states, withdrawing free aliases, flag listing."""
from __future__ import annotations

from tests.contract.conftest import address
from tests.contract.test_pool import POOL, aliases


async def test_alias_states_list_every_alias_of_the_mailbox(store):
    await store.add_aliases(POOL, aliases(3))
    await store.add_aliases("other@example.com", aliases(2, "other"))
    claimed = await store.claim_alias(POOL)

    states = await store.alias_states(POOL)

    assert states == {a: ("claimed" if a == claimed else "free") for a in aliases(3)}
    assert await store.alias_states("nobody@example.com") == {}


async def test_free_aliases_are_removed_and_claimed_ones_stay(store):
    await store.add_aliases(POOL, aliases(4))
    claimed = await store.claim_alias(POOL)
    await store.create_address(address(claimed, mailbox=POOL))
    free = [a for a in aliases(4) if a != claimed]

    removed = await store.remove_free_aliases(POOL, [claimed, free[0], free[1], "unknown@example.com"])

    assert removed == 2
    assert await store.alias_states(POOL) == {claimed: "claimed", free[2]: "free"}
    assert await store.free_alias_count(POOL) == 1
    assert await store.remove_free_aliases(POOL, []) == 0


async def test_a_removed_alias_added_again_is_free_again(store):
    await store.add_aliases(POOL, aliases(2))
    await store.remove_free_aliases(POOL, aliases(1))

    assert await store.add_aliases(POOL, aliases(2)) == 1

    assert await store.free_alias_count(POOL) == 2


async def test_removing_aliases_of_another_mailbox_changes_nothing(store):
    await store.add_aliases(POOL, aliases(2))

    assert await store.remove_free_aliases("other@example.com", aliases(2)) == 0

    assert await store.free_alias_count(POOL) == 2


async def test_flags_are_listed_by_prefix_in_name_order(store):
    for name in ["graph-move:b@example.com:2", "graph-move:a@example.com:1", "graph-moved", "graph-mov",
                 "pool-low:a@example.com", "graph-move:b@example.com:1"]:
        await store.set_flag(name, f"value of {name}")

    found = await store.flags_with_prefix("graph-move:", 10)

    assert found == [(n, f"value of {n}") for n in ["graph-move:a@example.com:1", "graph-move:b@example.com:1",
                                                    "graph-move:b@example.com:2"]]
    assert [n for n, _ in await store.flags_with_prefix("graph-move:", 2)] == ["graph-move:a@example.com:1",
                                                                               "graph-move:b@example.com:1"]
    assert await store.flags_with_prefix("nothing-", 10) == []


async def test_flag_prefixes_with_odd_characters_match_literally(store):
    await store.set_flag("graph-move:a%b_c@example.com:AAMk/x==", "1")
    await store.set_flag("graph-move:aXbYc@example.com:AAMk", "2")

    assert await store.flags_with_prefix("graph-move:a%b_c", 10) == [("graph-move:a%b_c@example.com:AAMk/x==", "1")]
