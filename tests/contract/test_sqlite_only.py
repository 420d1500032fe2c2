"""What only the SQLite store has to get right: its trips to aiosqlite's thread, each of which costs about as much
CPU as a small statement (bench.store measures the store against a bare read and a bare write of the same rows)."""
from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from core.errors import AddressTaken, Conflict, StoreUnavailable
from core.model import AuditEvent, MailState
from storage.sqlite import open_sqlite
from tests.contract.conftest import T0, address, mail, minutes
from tests.contract.test_mail_secrets import protected


def trips(store) -> list:
    """Every call the store makes into aiosqlite's thread, from now on."""
    made, original = [], store._db._execute

    async def counted(fn, *args, **kwargs):
        made.append(fn)
        return await original(fn, *args, **kwargs)
    store._db._execute = counted
    return made


@pytest.fixture
async def sqlite(tmp_path):
    async with open_sqlite(tmp_path / "trips.db") as store:
        yield store


async def test_a_point_read_is_one_trip_to_the_sqlite_thread(sqlite):
    await sqlite.create_address(address(account_id="111122223333", request_id="req-1"))
    await sqlite.record_mail(mail("m-1"))
    made = trips(sqlite)

    found = [await sqlite.get_address("aws+billing@example.com"), await sqlite.get_by_account_id("111122223333"),
             await sqlite.get_by_request_id("req-1"), await sqlite.get_mail("m-1"), await sqlite.get_flag("none")]
    assert [f is not None for f in found] == [True, True, True, True, False]
    assert len(made) == 5


async def test_an_address_and_its_audit_event_are_written_in_one_trip_and_not_read_back(sqlite):
    made = trips(sqlite)
    event = AuditEvent(T0, "aad-alice", "allocate", "aws+billing@example.com", {"mailbox": "aws@example.com"})

    created = await sqlite.create_address(address(request_id="req-1"), event)
    assert len(made) == 1
    assert created == await sqlite.get_address("aws+billing@example.com") and created.etag == "1"
    assert await sqlite.audit_for("aws+billing@example.com", 10) == [event]


async def test_a_refused_address_leaves_neither_row_nor_audit_event(sqlite):
    first = AuditEvent(T0, "aad-alice", "allocate", "aws+billing@example.com")
    await sqlite.create_address(address(request_id="req-1"), first)

    with pytest.raises(AddressTaken):
        await sqlite.create_address(address(request_id="req-2", account_name="Other"),
                                    AuditEvent(T0, "aad-bob", "allocate", "aws+billing@example.com"))
    assert await sqlite.audit_for("aws+billing@example.com", 10) == [first]
    assert (await sqlite.get_address("aws+billing@example.com")).account_name == "Billing Prod"
    assert await sqlite.get_by_request_id("req-2") is None
    await sqlite.create_address(address("aws+next@example.com", request_id="req-2"))  # no transaction left open


async def test_a_batch_of_mail_writes_is_one_trip_to_the_sqlite_thread(sqlite):
    for i in range(20):
        await sqlite.record_mail(mail(f"m-{i}"))
    claimed = await sqlite.claim_due_mails(T0, "app-1", T0 + minutes(1), 20)
    stale = replace(claimed[5], etag="99")
    made = trips(sqlite)

    outcomes = await sqlite.update_mails([replace(m, state=MailState.FORWARDED) for m in claimed[:5]]
                                         + [stale] + [replace(m, state=MailState.FORWARDED) for m in claimed[6:]])

    assert len(made) == 1  # the conflict's look-up included
    assert isinstance(outcomes[5], Conflict) and len([o for o in outcomes if getattr(o, "state", None) is MailState.FORWARDED]) == 19


async def test_a_batch_on_a_closed_store_is_unavailable(tmp_path):
    async with open_sqlite(tmp_path / "closed.db") as store:
        await store.record_mail(mail("m-1"))
        [claimed] = await store.claim_due_mails(T0, "app-1", T0 + minutes(1), 1)
    with pytest.raises(StoreUnavailable, match="could not write 1 mails"):
        await store.update_mails([replace(claimed, state=MailState.FORWARDED)])


async def test_a_failed_batch_writes_none_of_its_mails(sqlite):
    for key in ("m-1", "m-2"):
        await sqlite.record_mail(mail(key))
    first, second = await sqlite.claim_due_mails(T0, "app-1", T0 + minutes(1), 2)
    original = sqlite._db._conn.execute
    failing = [replace(first, state=MailState.FORWARDED), replace(second, state=MailState.FORWARDED)]

    class Full:  # the disk fills up at the second write: SQLite answers SQLITE_FULL
        def __init__(self, connection):
            self.connection, self.writes = connection, 0

        def __getattr__(self, name):
            return getattr(self.connection, name)

        def execute(self, sql, *args):
            if sql.startswith("UPDATE mails"):
                self.writes += 1
                if self.writes == 2:
                    raise sqlite3.OperationalError("database or disk is full")
            return original(sql, *args)
    sqlite._db._connection = Full(sqlite._db._connection)
    try:
        with pytest.raises(StoreUnavailable, match="disk is full"):
            await sqlite.update_mails(failing)
    finally:
        sqlite._db._connection = sqlite._db._connection.connection
    assert [m.state for m in (await sqlite.get_mail("m-1"), await sqlite.get_mail("m-2"))] == [MailState.RECEIVED] * 2
    assert [o.state for o in await sqlite.update_mails(failing)] == [MailState.FORWARDED] * 2  # no transaction left


async def test_a_secret_wiped_in_a_batch_leaves_no_copy_in_the_database_files(tmp_path):
    async with open_sqlite(tmp_path / "wipe.db") as store:
        await store.record_mail(protected("k1", 5))
        await store.record_mail(mail("k2"))
        due, other = await store.get_mail("k1"), await store.get_mail("k2")
        blob = due.secret.encode()

        await store.update_mails([replace(due, secret=""), replace(other, state=MailState.FORWARDED)])

        files = sorted(tmp_path.glob("wipe.db*"))
        assert [f.name for f in files if f.name.endswith(("-wal", ".db"))]
        assert all(blob not in f.read_bytes() for f in files), [f.name for f in files if blob in f.read_bytes()]


async def test_a_fetchs_lookups_notes_and_mails_reads_and_moved_notes_are_one_trip_each(sqlite):
    made = trips(sqlite)

    new = await sqlite.record_mails([mail("m-1"), mail("m-2"), mail("m-3"), mail("m-1")],
                                    {f"graph-move:mb:{n}": "note" for n in range(3)})
    assert new == [True, True, True, False] and len(made) == 1
    assert len(await sqlite.mail_states(["m-1", "m-2", "m-3", "m-unknown"])) == 3 and len(made) == 2
    await sqlite.delete_flags([f"graph-move:mb:{n}" for n in range(3)])
    assert len(made) == 3 and await sqlite.flags_with_prefix("graph-move:", 10) == []  # a fourth trip
    assert await sqlite.get_addresses(["aws+billing@example.com", "ceo@example.com"]) == {} and len(made) == 5
    await sqlite.record_mails([])
    await sqlite.mail_states([])
    await sqlite.delete_flags([])
    await sqlite.get_addresses([])
    assert len(made) == 5  # empty batches make no trip


async def test_a_batch_is_all_or_nothing(sqlite):
    broken = {"graph-move:mb:1": "note", "graph-move:mb:2": None}  # the second refused by the schema (NOT NULL)

    with pytest.raises(sqlite3.IntegrityError):
        await sqlite.record_mails([mail("m-1"), mail("m-3")], broken)
    assert await sqlite.mail_states(["m-1", "m-3"]) == {} and await sqlite.get_flag("graph-move:mb:1") is None
    assert await sqlite.record_mails([mail("m-1")]) == [True]  # no transaction left open


async def test_batches_on_a_closed_store_are_store_unavailable(tmp_path):
    async with open_sqlite(tmp_path / "closed.db") as store:
        pass
    for call in (lambda: store.record_mails([mail("m-1")], {"graph-move:mb:1": "note"}),
                 lambda: store.mail_states(["m-1"]), lambda: store.delete_flags(["graph-move:mb:1"])):
        with pytest.raises(StoreUnavailable, match="SQLite store failed while"):
            await call()
