"""The embedded default store: one SQLite file (WAL), one aiosqlite connection per app."""
from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import AsyncIterator, Callable, TypeVar

import aiosqlite

from core.errors import AccountIdTaken, AddressTaken, Conflict, DuplicateRequest, NotFound, StoreUnavailable
from core.model import AuditEvent, Mailbox, Page, RootAddress, Strategy
from storage.codec import address_from_dict, address_to_dict, audit_to_dict, dumps
from storage.sqlite.batches import SqliteBatches
from storage.sqlite.export import SqliteExport
from storage.sqlite.mails import SqliteMails
from storage.sqlite.meta import SqliteMeta

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS mailboxes (address TEXT PRIMARY KEY, strategy TEXT NOT NULL,
    alias_capacity INTEGER NOT NULL, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS aliases (address TEXT PRIMARY KEY, mailbox TEXT NOT NULL, state TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS aliases_free ON aliases (mailbox, state, address);
CREATE TABLE IF NOT EXISTS addresses (address TEXT PRIMARY KEY, owner TEXT NOT NULL, account_name TEXT NOT NULL,
    account_id TEXT UNIQUE, request_id TEXT UNIQUE, body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS addresses_owner ON addresses (owner);
CREATE TABLE IF NOT EXISTS mails (key TEXT PRIMARY KEY, address TEXT NOT NULL, state TEXT NOT NULL,
    received_at TEXT NOT NULL, next_attempt_at TEXT, lease_until TEXT, lease_owner TEXT,
    body TEXT NOT NULL, version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS mails_due ON mails (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS mails_address ON mails (address, received_at);
CREATE INDEX IF NOT EXISTS mails_secret ON mails (json_extract(body, '$.secret_expires_at'))
    WHERE json_extract(body, '$.secret') <> '';
CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_subject ON audit (subject, seq);
CREATE TABLE IF NOT EXISTS flags (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until TEXT NOT NULL);
"""
# RootAddress.requester_key, read from the stored body (an expression index keeps old files readable)
_REQUESTER = ("coalesce(nullif(json_extract(body, '$.requester.aad_object_id'), ''), "
              "json_extract(body, '$.requester.id'))")
SCHEMA += f"CREATE INDEX IF NOT EXISTS addresses_requester ON addresses ({_REQUESTER});\n"


def _after(continuation: str | None) -> int:
    """The row a page ends at; an unreadable token ("²" passes str.isdigit) starts from the beginning."""
    return int(continuation) if continuation and re.fullmatch(r"[0-9]{1,18}", continuation) else 0


def _key(address: str) -> str:
    """Addresses are unique whatever their case: the key column holds the normalized form."""
    return address.strip().lower()


@asynccontextmanager
async def open_sqlite(path: str | Path) -> AsyncIterator["SqliteStore"]:
    logging.getLogger("aiosqlite").setLevel(logging.INFO)  # its DEBUG lines repeat every SQL parameter: sealed codes
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(str(path), isolation_level=None)
    try:
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
        await db.execute("PRAGMA busy_timeout=5000")
        await db.execute("PRAGMA secure_delete=ON")  # freed bytes are zeroed: a wiped sealed code leaves no copy
        await db.executescript(SCHEMA)
        yield SqliteStore(db)
    finally:
        await db.close()


class SqliteStore(SqliteMails, SqliteMeta, SqliteExport, SqliteBatches):
    def __init__(self, db: aiosqlite.Connection):
        self._db = db
        self._write = asyncio.Lock()  # one connection: multi-statement transactions must not interleave
        self._wal_dirty = False  # a wiped secret may still be in the write-ahead log (the checkpoint was refused)

    async def ping(self) -> None:
        try:
            await self._db.execute("SELECT 1")
        except (sqlite3.Error, ValueError) as error:
            raise StoreUnavailable(f"SQLite store is not answering: {error}") from error

    # Every call into aiosqlite is a trip to its thread and back, which costs about as much CPU as a small statement
    # itself (~30 us, bench.store): a read is one trip (execute_fetchall), not three (execute, fetchone, close).
    # Each read also runs to its end in one call: no statement stays open across an await, where a WAL checkpoint on
    # this same connection (after a sealed code is wiped) would find the table locked.
    async def _one(self, sql: str, *args) -> aiosqlite.Row | None:
        rows = await self._db.execute_fetchall(sql, args)
        return rows[0] if rows else None

    async def _all(self, sql: str, *args) -> list[aiosqlite.Row]:
        return list(await self._db.execute_fetchall(sql, args))

    async def _change(self, sql: str, *args) -> int:
        """One write statement, outside any other coroutine's open transaction; returns rows changed."""
        async with self._write:
            cursor = await self._db.execute(sql, args)
            return cursor.rowcount

    async def _change_returning(self, sql: str, *args) -> aiosqlite.Row | None:
        async with self._write:
            return await self._one(sql, *args)

    async def _transaction(self, *statements: tuple[str, tuple]) -> list[int]:
        """The statements as one transaction in one trip to the connection's thread, instead of one trip each;
        the rows each statement changed."""
        def run(connection: sqlite3.Connection) -> list[int]:
            return [connection.execute(sql, args).rowcount for sql, args in statements]
        return await self._in_transaction(run)

    async def _in_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` on aiosqlite's own sqlite3 connection, on its thread, inside one transaction: one trip there."""
        connection = self._db._conn  # used only on the connection's thread (in run)

        def run() -> T:
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
                connection.execute("COMMIT")
                return result
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        async with self._write:
            return await self._db._execute(run)  # aiosqlite (pinned) runs a function on its thread; no other way

    # --- mailbox pool -------------------------------------------------------------------
    async def save_mailbox(self, mailbox: Mailbox) -> None:
        await self._change("INSERT OR REPLACE INTO mailboxes VALUES (?, ?, ?, ?)",
                           mailbox.address, mailbox.strategy.value, mailbox.alias_capacity, mailbox.state)

    async def mailboxes(self) -> list[Mailbox]:
        rows = await self._all("SELECT * FROM mailboxes ORDER BY address")
        return [Mailbox(r["address"], Strategy(r["strategy"]), r["alias_capacity"], r["state"]) for r in rows]

    async def add_aliases(self, mailbox: str, aliases: list[str]) -> int:
        async with self._write:
            before = self._db.total_changes
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.executemany(
                    "INSERT OR IGNORE INTO aliases (address, mailbox, state) "
                    "SELECT ?, ?, 'free' WHERE NOT EXISTS (SELECT 1 FROM addresses WHERE address = ?)",
                    [(a, mailbox, a) for a in aliases])
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            return self._db.total_changes - before

    async def claim_alias(self, mailbox: str) -> str | None:
        row = await self._change_returning(
            "UPDATE aliases SET state = 'claimed' WHERE address = (SELECT address FROM aliases "
            "WHERE mailbox = ? AND state = 'free' ORDER BY address LIMIT 1) RETURNING address", mailbox)
        return row["address"] if row else None

    async def release_alias(self, alias: str) -> None:
        await self._change(
            "UPDATE aliases SET state = 'free' WHERE address = ? AND state = 'claimed' "
            "AND NOT EXISTS (SELECT 1 FROM addresses WHERE address = ?)", alias, alias)

    async def free_alias_count(self, mailbox: str) -> int:
        row = await self._one("SELECT count(*) AS n FROM aliases WHERE mailbox = ? AND state = 'free'", mailbox)
        return row["n"]

    async def alias_states(self, mailbox: str) -> dict[str, str]:
        rows = await self._all("SELECT address, state FROM aliases WHERE mailbox = ? ORDER BY address", mailbox)
        return {r["address"]: r["state"] for r in rows}

    async def remove_free_aliases(self, mailbox: str, aliases: list[str]) -> int:
        async with self._write:
            before = self._db.total_changes
            await self._db.executemany("DELETE FROM aliases WHERE address = ? AND mailbox = ? AND state = 'free'",
                                       [(a, mailbox) for a in aliases])
            return self._db.total_changes - before

    # --- root addresses -----------------------------------------------------------------
    async def create_address(self, record: RootAddress, event: AuditEvent | None = None) -> RootAddress:
        body = dumps(address_to_dict(record))
        statements = [("INSERT INTO addresses VALUES (?, ?, ?, ?, ?, ?, 1)",
                       (_key(record.address), record.owner.conversation_id, record.account_name.lower(),
                        record.account_id, record.request_id, body))]
        if event:
            statements.append(("INSERT INTO audit (subject, body) VALUES (?, ?)",
                               (event.subject, dumps(audit_to_dict(event)))))
        try:
            await self._transaction(*statements)
        except sqlite3.IntegrityError:
            raise await self._uniqueness_error(record) from None
        return replace(record, etag="1")  # what reading it back gives (the row is version 1), without the trip

    async def _uniqueness_error(self, record: RootAddress) -> Exception:
        if record.request_id and (earlier := await self.get_by_request_id(record.request_id)):
            return DuplicateRequest(earlier.address)
        if record.account_id and (holder := await self.get_by_account_id(record.account_id)):
            if holder.address != record.address:
                return AccountIdTaken(record.account_id, holder.address)
        return AddressTaken(record.address)

    async def _address_where(self, where: str, *args) -> RootAddress | None:
        row = await self._one(f"SELECT body, version FROM addresses WHERE {where}", *args)
        return address_from_dict(json.loads(row["body"]), str(row["version"])) if row else None

    async def get_address(self, address: str) -> RootAddress | None:
        return await self._address_where("address = ?", _key(address))

    async def get_by_account_id(self, account_id: str) -> RootAddress | None:
        return await self._address_where("account_id = ?", account_id)

    async def get_by_request_id(self, request_id: str) -> RootAddress | None:
        return await self._address_where("request_id = ?", request_id)

    async def search_addresses(self, fragment: str, limit: int) -> list[RootAddress]:
        pattern = "%" + fragment.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self._all(
            "SELECT body, version FROM addresses WHERE account_name LIKE ?1 ESCAPE '\\' "
            "OR address LIKE ?1 ESCAPE '\\' ORDER BY rowid LIMIT ?2", pattern, limit)
        return [address_from_dict(json.loads(r["body"]), str(r["version"])) for r in rows]

    async def list_by_owner(self, conversation_id: str, page_size: int, continuation: str | None = None) -> Page:
        after = _after(continuation)
        rows = await self._all(
            "SELECT rowid, body, version FROM addresses WHERE owner = ? AND rowid > ? ORDER BY rowid LIMIT ?",
            conversation_id, after, page_size + 1)
        items = [address_from_dict(json.loads(r["body"]), str(r["version"])) for r in rows[:page_size]]
        token = str(rows[page_size - 1]["rowid"]) if len(rows) > page_size else None
        return Page(items, token)

    async def list_addresses(self, page_size: int, continuation: str | None = None,
                             requester: str | None = None) -> Page:
        after = _after(continuation)
        where = f"AND {_REQUESTER} = ?3" if requester is not None else "AND ?3 IS NULL"
        rows = await self._all(f"SELECT rowid, body, version FROM addresses WHERE rowid > ?1 {where} "
                               "ORDER BY rowid LIMIT ?2", after, page_size + 1, requester)
        items = [address_from_dict(json.loads(r["body"]), str(r["version"])) for r in rows[:page_size]]
        token = str(rows[page_size - 1]["rowid"]) if len(rows) > page_size else None
        return Page(items, token)

    async def update_address(self, record: RootAddress) -> RootAddress:
        async with self._write:
            try:
                cursor = await self._db.execute(
                    "UPDATE addresses SET owner = ?, account_name = ?, account_id = ?, body = ?, version = version + 1 "
                    "WHERE address = ? AND version = ?",
                    (record.owner.conversation_id, record.account_name.lower(), record.account_id,
                     dumps(address_to_dict(record)), _key(record.address), int(record.etag or 0)))
            except sqlite3.IntegrityError:
                holder = await self.get_by_account_id(record.account_id)
                raise AccountIdTaken(record.account_id, holder.address if holder else "another address") from None
            if cursor.rowcount == 0:
                if await self.get_address(record.address) is None:
                    raise NotFound(f"RootMail does not know the address {record.address}.")
                raise Conflict(f"{record.address} was changed by someone else.")
        return await self.get_address(record.address)

    async def count_addresses(self) -> int:
        return (await self._one("SELECT count(*) AS n FROM addresses"))["n"]
