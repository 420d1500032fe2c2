"""The alias pool follows Exchange: aliases imported at start and on `pool`, fill level shown to admins, and an
assigned alias that left Exchange is reported and never handed out again."""
from __future__ import annotations

from core.model import AddressState
from tests.cardwalk import text
from tests.fakes import teams
from tests.fakes.graph.harness import (ALIAS_BOX, ALIASES, PLUS_BOX, fake_graph, graph_port,  # noqa: F401
                                       start_graph_app)
from tests.integration.graph.test_notifications import owned_alias


def address_reads(graph) -> int:
    paths = {f"/v1.0/users/{graph.mailbox(box).id}" for box in (ALIAS_BOX, PLUS_BOX)}  # by object id, once resolved
    return sum(1 for r in graph.requests if r.method == "GET" and r.path in paths)


def remove_alias(graph, alias: str) -> None:
    box = graph.mailbox(ALIAS_BOX)
    box.proxy_addresses.remove(f"smtp:{alias}")


async def test_exchange_aliases_become_the_pool_and_the_pool_files_are_ignored(start_graph_app):
    rootmail = await start_graph_app()

    states = await rootmail.store.alias_states(ALIAS_BOX)
    assert sorted(states) == ALIASES  # not the mailbox itself, not its onmicrosoft.com routing address
    assert set(states.values()) == {"free"}
    assert await rootmail.store.alias_states(PLUS_BOX) == {}


async def test_pool_shows_each_mailbox_fill_level_after_reading_exchange_again(start_graph_app):
    rootmail = await start_graph_app()
    await owned_alias(rootmail)
    rootmail.graph.mailbox(ALIAS_BOX).proxy_addresses += ["smtp:aws-0031@example.com", "smtp:aws-0032@example.com"]
    reads = address_reads(rootmail.graph)

    card = await rootmail.say("pool", teams.PERSONAL)

    shown = text(card)
    assert "31 free, 1 assigned of 300 (0% used)" in shown
    assert ALIAS_BOX in shown and PLUS_BOX in shown and "Plus-addressing" in shown
    assert "In Exchange" in shown and "32" in shown
    assert address_reads(rootmail.graph) == reads + 2
    assert (await rootmail.store.alias_states(ALIAS_BOX))["aws-0032@example.com"] == "free"


async def test_pool_is_for_admins_only(start_graph_app):
    rootmail = await start_graph_app()
    reads = address_reads(rootmail.graph)

    card = await rootmail.say("pool", teams.PLATFORM)

    assert "Only admins" in text(card) and address_reads(rootmail.graph) == reads


async def test_a_free_alias_that_left_exchange_is_never_handed_out(start_graph_app):
    rootmail = await start_graph_app()
    remove_alias(rootmail.graph, "aws-0001@example.com")

    await rootmail.source.sync_pool()
    alias = await owned_alias(rootmail)

    assert "aws-0001@example.com" not in await rootmail.store.alias_states(ALIAS_BOX)
    assert alias != "aws-0001@example.com"


async def test_an_assigned_alias_that_left_exchange_is_reported_once_and_stays_assigned(start_graph_app):
    rootmail = await start_graph_app()
    await rootmail.say("help", teams.PERSONAL)  # the admin conversation becomes known
    alias = await owned_alias(rootmail)
    remove_alias(rootmail.graph, alias)
    before = len(rootmail.connector.in_conversation(teams.PERSONAL.conversation_id))

    await rootmail.source.sync_pool()
    await rootmail.source.sync_pool()

    notices = rootmail.connector.in_conversation(teams.PERSONAL.conversation_id)[before:]
    assert len(notices) == 1
    shown = text(notices[0].cards[0])
    assert "disappeared from Exchange" in shown and alias in shown and "Cloud Platform" in shown
    assert (await rootmail.store.alias_states(ALIAS_BOX))[alias] == "claimed"
    assert (await rootmail.store.get_address(alias)).state is AddressState.ACTIVE
    pool = text(await rootmail.say("pool", teams.PERSONAL))
    assert "1 assigned aliases are no longer in Exchange" in pool and alias in pool
    for _ in range(3):
        assert await owned_alias(rootmail) == alias  # the channel's first address; new ones are others
    assert alias not in [a for a, s in (await rootmail.store.alias_states(ALIAS_BOX)).items() if s == "free"]


async def test_a_mailbox_graph_cannot_read_is_named_on_the_pool_card(start_graph_app):
    rootmail = await start_graph_app()
    rootmail.graph.fail(403, times=1, path=f"/users/{rootmail.graph.mailbox(PLUS_BOX).id}$")

    card = await rootmail.say("pool", teams.PERSONAL)

    assert "Could not read it from Exchange" in text(card) and "Mail.ReadWrite" in text(card)


async def test_without_graph_pool_shows_the_pool_file(rootmail):
    card = await rootmail.say("pool", teams.PERSONAL)
    shown = text(card)
    assert "pool file" in shown and "40 free, 0 assigned of 300 (0% used)" in shown
