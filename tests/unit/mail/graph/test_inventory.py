"""The inventory rules: which Exchange addresses may be handed out, how the pool follows Exchange, how recipients
are resolved to RootMail addresses."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.addresses.inventory import newly_missing, pool_status, sync_aliases, usable_aliases
from core.model import AddressState, Mailbox, Owner, Person, RootAddress, Strategy
from mail.graph.ingest import GraphIngest
from mail.graph.inventory import Inventory
from storage.sqlite import open_sqlite

T0 = datetime(2026, 11, 21, tzinfo=timezone.utc)
BOX = Mailbox("aws-root-01@example.com", Strategy.ALIAS, 300)
PLUS = Mailbox("aws-root@example.com", Strategy.PLUS)


@pytest.fixture
async def store(tmp_path):
    async with open_sqlite(tmp_path / "inventory.db") as sqlite:
        await sqlite.save_mailbox(BOX)
        await sqlite.save_mailbox(PLUS)
        yield sqlite


def address(alias: str) -> RootAddress:
    return RootAddress(alias, BOX.address, "Billing", "production", "invoices", Owner("19:c@thread.tacv2", "Ops"),
                       Person("29:a"), T0, T0, AddressState.ACTIVE)


def test_only_addresses_aws_accepts_and_that_are_not_the_mailbox_or_routing_addresses_are_usable():
    found = usable_aliases("AWS-Root-01@example.com", [
        "aws-root-01@example.com", "AWS-0001@Example.com", "aws-0001@example.com", "aws-root-01@contoso.onmicrosoft.com",
        "a@b.c", "ünï@example.com", "x" * 60 + "@example.com", "aws-0002@example.com"])
    assert found == ["aws-0001@example.com", "aws-0002@example.com"]


async def test_the_pool_follows_exchange_and_keeps_what_was_assigned(store):
    await sync_aliases(store, lambda: T0, BOX, ["aws-0001@example.com", "aws-0002@example.com",
                                                 "aws-0003@example.com"], 20)
    taken = await store.claim_alias(BOX.address)
    await store.create_address(address(taken))

    report = await sync_aliases(store, lambda: T0, BOX, ["aws-0003@example.com", "aws-0004@example.com"], 20)

    assert (report.in_exchange, report.added, report.removed, report.missing) == (2, 1, 1, (taken,))
    assert await store.alias_states(BOX.address) == {taken: "claimed", "aws-0003@example.com": "free",
                                                     "aws-0004@example.com": "free"}


async def test_admins_are_told_about_missing_aliases_once_per_change(store):
    await sync_aliases(store, lambda: T0, BOX, ["aws-0001@example.com", "aws-0002@example.com"], 20)
    for _ in range(2):
        await store.create_address(address(await store.claim_alias(BOX.address)))

    first = await sync_aliases(store, lambda: T0, BOX, ["aws-0002@example.com"], 20)
    assert await newly_missing(store, first) == ("aws-0001@example.com",)
    assert await newly_missing(store, first) == ()
    second = await sync_aliases(store, lambda: T0, BOX, [], 20)
    assert await newly_missing(store, second) == ("aws-0002@example.com",)
    back = await sync_aliases(store, lambda: T0, BOX, ["aws-0001@example.com", "aws-0002@example.com"], 20)
    assert back.missing == () and await newly_missing(store, back) == ()


async def test_pool_status_counts_free_and_assigned_and_keeps_the_last_report(store):
    await sync_aliases(store, lambda: T0, BOX, [f"aws-{n:04d}@example.com" for n in range(1, 11)], 20)
    await store.claim_alias(BOX.address)

    alias_box, plus_box = sorted(await pool_status(store), key=lambda s: s.mailbox.strategy.value)

    assert (alias_box.free, alias_box.assigned, alias_box.capacity) == (9, 1, 300)
    assert alias_box.report.in_exchange == 10 and alias_box.report.at == T0
    assert plus_box.report is None and plus_box.free == plus_box.assigned == 0


async def test_recipients_resolve_to_rootmail_addresses_else_an_alias_else_the_mailbox(store):
    inventory = Inventory(store, lambda: T0, graph=None, mailboxes=[BOX, PLUS])
    inventory.addresses[BOX.address] = frozenset({BOX.address, "aws-0001@example.com", "aws-0002@example.com"})
    await store.create_address(address("aws-0002@example.com"))
    ingest = GraphIngest(store, lambda: T0, inventory)

    assert await ingest.resolve(BOX.address, ["ceo@example.com", "AWS-0002@example.com"]) == (
        ["aws-0002@example.com"], True)
    assert await ingest.resolve(BOX.address, ["ceo@example.com", "aws-0001@example.com"]) == (
        ["aws-0001@example.com"], False)
    assert await ingest.resolve(BOX.address, ["aws-root+team-x@example.com"]) == (
        ["aws-root+team-x@example.com"], False)
    assert await ingest.resolve(BOX.address, ["stranger@elsewhere.example"]) == ([BOX.address], False)
    assert inventory.mailbox_of("aws-0001+tag@example.com") == BOX.address
    assert inventory.mailbox_of("aws-0003@example.com") is None


async def test_a_fetchs_messages_reach_the_store_in_two_calls_with_each_note_and_record(store):
    from tests.unit.mail.graph.test_message import graph_message

    calls: list[str] = []

    class Counting:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(store, name)
    inventory = Inventory(store, lambda: T0, graph=None, mailboxes=[BOX])
    inventory.addresses[BOX.address] = frozenset({BOX.address, "aws-0001@example.com", "aws-0002@example.com"})
    await store.create_address(address("aws-0001@example.com"))
    ingest = GraphIngest(Counting(), lambda: T0, inventory)
    messages = [graph_message(id=f"m{n}", internetMessageId=f"<{n}@email.amazonses.com>") for n in range(3)]

    handled = await ingest.handle_many(BOX.address, messages + [{"id": "m9", "@removed": {"reason": "deleted"}}])

    assert calls == ["get_addresses", "record_mails"]
    assert [h.mapped for h in handled[:3]] == [True, True, True] and handled[3] is None
    notes = dict(await store.flags_with_prefix("graph-move:", 10))
    assert sorted(notes) == [f"graph-move:{BOX.address}:m{n}" for n in range(3)]
    assert [len(h.new) for h in handled[:3]] == [1, 1, 1]
    assert [await store.get_mail(h.keys[0]) for h in handled[:3]] == [h.new[0] for h in handled[:3]]
