"""Reading a whole SQLite store out, for storage.migrate and its checks (not part of the Store protocol)."""
from __future__ import annotations

import json
from typing import AsyncIterator

import aiosqlite

from core.model import AuditEvent, InboundMail, Owner, RootAddress
from storage.codec import address_from_dict, audit_from_dict, owner_from_dict


class SqliteExport:
    """Mixed into SqliteStore, which gives _db, _one and _mail."""

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
