"""The embedded default store: one SQLite file (WAL), one aiosqlite connection per app."""
from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import AsyncIterator

import aiosqlite

from core.errors import AccountIdTaken, AddressTaken, Conflict, DuplicateRequest, NotFound, StoreUnavailable
from core.model import AuditEvent, InboundMail, Mailbox, Owner, Page, RootAddress, Strategy
from storage.codec import (address_from_dict, address_to_dict, audit_from_dict, audit_to_dict, dumps, mail_from_dict,
                           mail_to_dict, owner_from_dict, owner_to_dict, when)

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


_URGENCY = ("CASE json_extract(body, '$.severity') WHEN 'critical' THEN 0 WHEN 'high' THEN 1 "
            "WHEN 'low' THEN 3 ELSE 2 END")


def _rank(severity: str) -> int:
    return {"critical": 0, "high": 1, "low": 3}.get(severity, 2)


def _after(continuation: str | None) -> int:
    """The row a page ends at; an unreadable token ("²" passes str.isdigit) starts from the beginning."""
    return int(continuation) if continuation and re.fullmatch(r"[0-9]{1,18}", continuation) else 0


def _key(address: str) -> str:
    """Addresses are unique whatever their case: the key column holds the normalized form."""
    return address.strip().lower()


@asynccontextmanager
async def open_sqlite(path: str | Path) -> AsyncIterator["SqliteStore"]:
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(str(path), isolation_level=None)
    try:
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
        await db.execute("PRAGMA busy_timeout=5000")
        await db.executescript(SCHEMA)
        yield SqliteStore(db)
    finally:
        await db.close()


class SqliteStore:
    def __init__(self, db: aiosqlite.Connection):
        self._db = db
        self._write = asyncio.Lock()  # one connection: multi-statement transactions must not interleave

    async def ping(self) -> None:
        try:
            await self._db.execute("SELECT 1")
        except (sqlite3.Error, ValueError) as error:
            raise StoreUnavailable(f"SQLite store is not answering: {error}") from error

    async def _one(self, sql: str, *args) -> aiosqlite.Row | None:
        async with self._db.execute(sql, args) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, *args) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, args) as cursor:
            return list(await cursor.fetchall())

    async def _change(self, sql: str, *args) -> int:
        """One write statement, outside any other coroutine's open transaction; returns rows changed."""
        async with self._write:
            cursor = await self._db.execute(sql, args)
            return cursor.rowcount

    async def _change_returning(self, sql: str, *args) -> aiosqlite.Row | None:
        async with self._write:
            return await self._one(sql, *args)

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
        async with self._write:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute(
                    "INSERT INTO addresses VALUES (?, ?, ?, ?, ?, ?, 1)",
                    (_key(record.address), record.owner.conversation_id, record.account_name.lower(), record.account_id,
                     record.request_id, dumps(address_to_dict(record))))
                if event:
                    await self._db.execute("INSERT INTO audit (subject, body) VALUES (?, ?)",
                                           (event.subject, dumps(audit_to_dict(event))))
                await self._db.execute("COMMIT")
            except BaseException as failure:
                await self._db.execute("ROLLBACK")
                if isinstance(failure, sqlite3.IntegrityError):
                    raise await self._uniqueness_error(record) from None
                raise
        return await self.get_address(record.address)

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

    # --- inbound mail -------------------------------------------------------------------
    async def record_mail(self, mail: InboundMail) -> bool:
        return await self._change("INSERT OR IGNORE INTO mails VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
                                  *self._mail_row(mail)) == 1

    @staticmethod
    def _mail_row(mail: InboundMail) -> tuple:
        data = mail_to_dict(mail)
        return (mail.key, mail.address, data["state"], data["received_at"], data["next_attempt_at"],
                data["lease_until"], mail.lease_owner, dumps(data))

    @staticmethod
    def _mail(row) -> InboundMail:
        return mail_from_dict(json.loads(row["body"]), str(row["version"]))

    async def get_mail(self, key: str) -> InboundMail | None:
        row = await self._one("SELECT body, version FROM mails WHERE key = ?", key)
        return self._mail(row) if row else None

    async def claim_due_mails(self, now: datetime, owner: str, lease_until: datetime, limit: int) -> list[InboundMail]:
        async with self._write:
            rows = await self._all(
                "UPDATE mails SET lease_owner = ?2, lease_until = ?3, version = version + 1, "
                "body = json_set(body, '$.lease_owner', ?2, '$.lease_until', ?3) WHERE key IN ("
                "SELECT key FROM mails WHERE state IN ('received', 'failed') AND next_attempt_at <= ?1 "
                f"AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY {_URGENCY}, next_attempt_at LIMIT ?4) "
                "RETURNING body, version",
                when(now), owner, when(lease_until), limit)
        return sorted((self._mail(r) for r in rows), key=lambda m: (_rank(m.severity), m.next_attempt_at))

    async def release_mail_leases(self, owner: str) -> int:
        return await self._change(
            "UPDATE mails SET lease_until = NULL, lease_owner = '', version = version + 1, "
            "body = json_set(body, '$.lease_owner', '', '$.lease_until', NULL) "
            "WHERE lease_owner = ? AND lease_until IS NOT NULL AND state IN ('received', 'failed')", owner)

    async def update_mail(self, mail: InboundMail) -> InboundMail:
        key, address, state, received, next_at, lease_until, lease_owner, body = self._mail_row(mail)
        row = await self._change_returning(
            "UPDATE mails SET state = ?, next_attempt_at = ?, lease_until = ?, lease_owner = ?, body = ?, "
            "version = version + 1 WHERE key = ? AND version = ? RETURNING version",
            state, next_at, lease_until, lease_owner, body, key, int(mail.etag or 0))
        if row is None:
            if await self.get_mail(key) is None:
                raise NotFound(f"no mail {key}")
            raise Conflict(f"mail {key} was changed by someone else")
        return mail_from_dict(json.loads(body), str(row["version"]))

    async def recent_mails(self, address: str, limit: int) -> list[InboundMail]:
        rows = await self._all("SELECT body, version FROM mails WHERE address = ? ORDER BY received_at DESC LIMIT ?",
                               address.lower(), limit)
        return [self._mail(r) for r in rows]

    async def count_mails(self, state: str | None = None) -> int:
        if state is None:
            return (await self._one("SELECT count(*) AS n FROM mails"))["n"]
        return (await self._one("SELECT count(*) AS n FROM mails WHERE state = ?", state))["n"]

    async def expired_secrets(self, now: datetime, limit: int) -> list[InboundMail]:
        rows = await self._all(
            "SELECT body, version FROM mails WHERE json_extract(body, '$.secret') <> '' "
            "AND json_extract(body, '$.secret_expires_at') <= ? "
            "ORDER BY json_extract(body, '$.secret_expires_at') LIMIT ?", when(now), max(limit, 0))
        return [self._mail(r) for r in rows]

    # --- conversations, audit and flags -------------------------------------------------
    async def save_conversation(self, owner: Owner) -> None:
        await self._change("INSERT OR REPLACE INTO conversations VALUES (?, ?)",
                           owner.conversation_id, dumps(owner_to_dict(owner)))

    async def get_conversation(self, conversation_id: str) -> Owner | None:
        row = await self._one("SELECT body FROM conversations WHERE id = ?", conversation_id)
        return owner_from_dict(json.loads(row["body"])) if row else None

    async def list_conversations(self, limit: int) -> list[Owner]:
        rows = await self._all("SELECT body FROM conversations ORDER BY id LIMIT ?", max(limit, 0))
        return [owner_from_dict(json.loads(r["body"])) for r in rows]

    async def append_audit(self, event: AuditEvent) -> None:
        await self._change("INSERT INTO audit (subject, body) VALUES (?, ?)", event.subject, dumps(audit_to_dict(event)))

    async def audit_for(self, subject: str, limit: int) -> list[AuditEvent]:
        rows = await self._all("SELECT body FROM audit WHERE subject = ? ORDER BY seq DESC LIMIT ?", subject, limit)
        return [audit_from_dict(json.loads(r["body"])) for r in rows]

    async def get_flag(self, name: str) -> str | None:
        row = await self._one("SELECT value FROM flags WHERE name = ?", name)
        return row["value"] if row else None

    async def set_flag(self, name: str, value: str) -> None:
        await self._change("INSERT OR REPLACE INTO flags VALUES (?, ?)", name, value)

    async def add_flag(self, name: str, value: str) -> bool:
        return await self._change("INSERT OR IGNORE INTO flags VALUES (?, ?)", name, value) == 1

    async def delete_flag(self, name: str) -> None:
        await self._change("DELETE FROM flags WHERE name = ?", name)

    async def flags_with_prefix(self, prefix: str, limit: int) -> list[tuple[str, str]]:
        rows = await self._all("SELECT name, value FROM flags WHERE name >= ?1 AND substr(name, 1, length(?1)) = ?1 "
                               "ORDER BY name LIMIT ?2", prefix, limit)
        return [(r["name"], r["value"]) for r in rows]

    async def acquire_lease(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        return await self._change(
            "INSERT INTO leases VALUES (?1, ?2, ?4) ON CONFLICT (name) DO UPDATE SET owner = ?2, until = ?4 "
            "WHERE leases.until <= ?3 OR leases.owner = ?2", name, owner, when(now), when(until)) == 1

    async def release_lease(self, name: str, owner: str) -> None:
        await self._change("DELETE FROM leases WHERE name = ? AND owner = ?", name, owner)

    # --- read-all, for storage.migrate (not part of the Store protocol) -----------------
    async def _rows(self, sql: str) -> AsyncIterator[aiosqlite.Row]:
        async with self._db.execute(sql) as cursor:
            async for row in cursor:
                yield row

    async def export_aliases(self) -> AsyncIterator[tuple[str, str, str]]:
        """(mailbox, alias, state) of every alias."""
        async for r in self._rows("SELECT mailbox, address, state FROM aliases ORDER BY mailbox, address"):
            yield r["mailbox"], r["address"], r["state"]

    async def export_addresses(self) -> AsyncIterator[RootAddress]:
        async for r in self._rows("SELECT body, version FROM addresses ORDER BY rowid"):
            yield address_from_dict(json.loads(r["body"]), str(r["version"]))

    async def export_mails(self) -> AsyncIterator[InboundMail]:
        async for r in self._rows("SELECT body, version FROM mails ORDER BY received_at"):
            yield self._mail(r)

    async def export_conversations(self) -> AsyncIterator[Owner]:
        async for r in self._rows("SELECT body FROM conversations ORDER BY id"):
            yield owner_from_dict(json.loads(r["body"]))

    async def export_audit(self) -> AsyncIterator[tuple[str, AuditEvent]]:
        """(source id, event), oldest first; the id is stable, so a copy can tell what it already has."""
        async for r in self._rows("SELECT seq, body FROM audit ORDER BY seq"):
            yield f"{r['seq']:012d}", audit_from_dict(json.loads(r["body"]))

    async def export_flags(self) -> AsyncIterator[tuple[str, str]]:
        async for r in self._rows("SELECT name, value FROM flags ORDER BY name"):
            yield r["name"], r["value"]

    async def inventory(self) -> dict[str, int]:
        """How many records of each kind the store holds (aliases by state)."""
        counts = {"mailboxes": "SELECT count(*) AS n FROM mailboxes",
                  "aliases free": "SELECT count(*) AS n FROM aliases WHERE state = 'free'",
                  "aliases claimed": "SELECT count(*) AS n FROM aliases WHERE state <> 'free'",
                  "addresses": "SELECT count(*) AS n FROM addresses", "mails": "SELECT count(*) AS n FROM mails",
                  "conversations": "SELECT count(*) AS n FROM conversations", "audit": "SELECT count(*) AS n FROM audit",
                  "flags": "SELECT count(*) AS n FROM flags"}
        return {kind: (await self._one(sql))["n"] for kind, sql in counts.items()}
