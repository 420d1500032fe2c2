"""storage.migrate: a SQLite store copied into Cosmos DB is the same store, and copying again changes nothing."""
from __future__ import annotations

import asyncio
import io
import uuid
from dataclasses import replace

import pytest
from azure.cosmos.aio import CosmosClient

from core.errors import AccountIdTaken, StoreUnavailable
from core.model import AddressState, AuditEvent, Mailbox, MailState, Strategy
from storage import migrate
from storage.cosmos.client import CosmosSettings, open_cosmos
from storage.sqlite import open_sqlite
from tests.contract.conftest import OTHER_TEAM, T0, TEAM, address, mail, minutes

pytestmark = pytest.mark.cosmos

POOL = Mailbox("pool@example.com", Strategy.ALIAS, 300)
PLUS = Mailbox("aws@example.com", Strategy.PLUS)


async def seed(path) -> None:
    async with open_sqlite(path) as store:
        await store.save_mailbox(POOL)
        await store.save_mailbox(PLUS)
        await store.add_aliases(POOL.address, [f"acct-{i:02d}@example.com" for i in range(12)])
        for _ in range(3):
            alias = await store.claim_alias(POOL.address)
            await store.create_address(address(alias, mailbox=POOL.address, request_id=f"req-{alias}"))
        await store.claim_alias(POOL.address)  # claimed, never used: stays claimed
        for i in range(5):
            await store.create_address(address(f"aws+acct-{i}@example.com", account_id=f"11112222333{i}",
                                               request_id=f"req-{i}", at=T0 + minutes(i),
                                               owner=TEAM if i % 2 else OTHER_TEAM))
        retired = await store.get_address("aws+acct-4@example.com")
        await store.update_address(replace(retired, state=AddressState.RETIRED))
        for i, state in enumerate([MailState.RECEIVED, MailState.FORWARDED, MailState.FAILED, MailState.UNMAPPED]):
            await store.record_mail(mail(f"mail-{i}", to="aws+acct-1@example.com", at=T0 + minutes(i), state=state))
        await store.save_conversation(TEAM)
        await store.save_conversation(OTHER_TEAM)
        for i, action in enumerate(["allocate", "link", "reveal-code"]):
            await store.append_audit(AuditEvent(T0 + minutes(i), "aad-alice", action, "aws+acct-1@example.com"))
        await store.set_flag("pool-low:pool@example.com", "notified")


@pytest.fixture
async def source(tmp_path):
    path = tmp_path / "rootmail.db"
    await seed(path)
    return path


@pytest.fixture
async def target(cosmos_server):
    settings = CosmosSettings(endpoint=cosmos_server.endpoint, key=cosmos_server.key,
                              database=f"migrate-{uuid.uuid4().hex[:12]}", create_if_missing=True)
    yield settings
    async with CosmosClient(cosmos_server.endpoint, cosmos_server.key) as client:
        await client.delete_database(settings.database)


async def test_the_copy_is_the_same_store(source, target):
    out = io.StringIO()

    assert await migrate.run(f"sqlite:///{source}", target, 8, out) == 0

    assert "verified: every count matches" in out.getvalue()
    async with open_sqlite(source) as old, open_cosmos(target) as new:
        assert await new.inventory() == await old.inventory()
        async for record in old.export_addresses():
            copied = await new.get_address(record.address)
            assert copied == record and copied.owner.reference == record.owner.reference
            assert await new.get_by_request_id(record.request_id) == record
            if record.account_id:
                assert await new.get_by_account_id(record.account_id) == record
        assert sorted(await new.mailboxes(), key=str) == sorted(await old.mailboxes(), key=str)
        assert await new.free_alias_count(POOL.address) == await old.free_alias_count(POOL.address) == 8
        assert [m.key for m in await new.recent_mails("aws+acct-1@example.com", 10)] == [
            "mail-3", "mail-2", "mail-1", "mail-0"]
        assert await new.count_mails("failed") == 1
        assert await new.get_conversation(TEAM.conversation_id) == TEAM
        assert [e.action for e in await new.audit_for("aws+acct-1@example.com", 10)] == [
            "reveal-code", "link", "allocate"]
        assert await new.get_flag("pool-low:pool@example.com") == "notified"
        for owner in (TEAM, OTHER_TEAM):
            listed = (await new.list_by_owner(owner.conversation_id, 50)).items
            assert listed == (await old.list_by_owner(owner.conversation_id, 50)).items
            assert listed


async def test_the_copied_store_keeps_its_rules(source, target):
    await migrate.run(f"sqlite:///{source}", target, 8, io.StringIO())

    async with open_cosmos(target) as new:
        claimed = {await new.claim_alias(POOL.address) for _ in range(9)}
        assert len(claimed) == 9 and None in claimed
        assert not claimed & {"acct-00@example.com", "acct-01@example.com", "acct-02@example.com",
                              "acct-03@example.com"}
        with pytest.raises(AccountIdTaken) as taken:
            await new.create_address(address("aws+new@example.com", account_id="111122223331"))
        assert taken.value.address == "aws+acct-1@example.com"


async def test_copying_again_changes_nothing(source, target):
    await migrate.run(f"sqlite:///{source}", target, 8, io.StringIO())
    async with open_cosmos(target) as new:
        before = {r.address: r.etag for r in (await new.search_addresses("@", 100))}

    out = io.StringIO()
    assert await migrate.run(f"sqlite:///{source}", target, 8, out) == 0

    async with open_cosmos(target) as new:
        assert {r.address: r.etag for r in (await new.search_addresses("@", 100))} == before
        assert (await new.inventory())["audit"] == 3
    assert "verified" in out.getvalue()


async def test_an_interrupted_copy_finishes_when_run_again(source, target):
    class FailingAfter:
        def __init__(self, store, left):
            self.store, self.left = store, left

        def __getattr__(self, name):
            return getattr(self.store, name)

        async def import_address(self, record):
            self.left -= 1
            if self.left < 0:
                raise StoreUnavailable("connection dropped")
            return await self.store.import_address(record)

    async with open_sqlite(source) as old, open_cosmos(target) as new:
        with pytest.raises(StoreUnavailable):
            await migrate.migrate(old, FailingAfter(new, 3), concurrency=1)
        assert (await new.inventory())["addresses"] == 3

    out = io.StringIO()
    assert await migrate.run(f"sqlite:///{source}", target, 8, out) == 0
    assert "verified: every count matches" in out.getvalue()


def test_the_command_reads_cosmos_settings_from_the_environment(source, cosmos_server):
    database = f"migrate-cli-{uuid.uuid4().hex[:12]}"
    env = {"ROOTMAIL_COSMOS_ENDPOINT": cosmos_server.endpoint, "ROOTMAIL_COSMOS_KEY": cosmos_server.key,
           "ROOTMAIL_COSMOS_DATABASE": database}
    out = io.StringIO()

    code = migrate.main(["--from", f"sqlite:///{source}", "--to", "cosmos", "--create"], env=env, out=out)

    assert code == 0, out.getvalue()
    assert "addresses" in out.getvalue() and "verified" in out.getvalue()

    async def drop():
        async with CosmosClient(cosmos_server.endpoint, cosmos_server.key) as client:
            await client.delete_database(database)
    asyncio.run(drop())


def test_the_command_refuses_a_missing_source(tmp_path, capsys):
    env = {"ROOTMAIL_COSMOS_ENDPOINT": "https://127.0.0.1:1/"}

    with pytest.raises(SystemExit) as stopped:
        migrate.main(["--from", f"sqlite:///{tmp_path / 'nope.db'}", "--to", "cosmos"], env=env)

    assert stopped.value.code == 2
    assert "no SQLite store" in capsys.readouterr().err
    assert not (tmp_path / "nope.db").exists()
