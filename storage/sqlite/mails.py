"""SqliteStore's received mail: recorded once per key, leased for posting most urgent first, versioned updates."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from core.errors import Conflict, NotFound, StoreUnavailable
from core.model import InboundMail
from storage.codec import dumps, mail_from_dict, mail_to_dict, when

_UPDATE = ("UPDATE mails SET state = ?, next_attempt_at = ?, lease_until = ?, lease_owner = ?, body = ?, "
           "version = version + 1 WHERE key = ? AND version = ? RETURNING version")
_URGENCY = ("CASE json_extract(body, '$.severity') WHEN 'critical' THEN 0 WHEN 'high' THEN 1 "
            "WHEN 'low' THEN 3 ELSE 2 END")


def _outcome(row: tuple, version: int | None, exists: bool) -> InboundMail | Conflict | NotFound:
    """What update_mail would have returned or raised for the mail in `row` (key first, body last)."""
    if version is not None:
        return mail_from_dict(json.loads(row[-1]), str(version))
    return Conflict(f"mail {row[0]} was changed by someone else") if exists else NotFound(f"no mail {row[0]}")


def _rank(severity: str) -> int:
    return {"critical": 0, "high": 1, "low": 3}.get(severity, 2)


class SqliteMails:
    """The mail half of the Store protocol; mixed into SqliteStore, which gives _one, _all, _change,
    _in_transaction and _write."""

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
        row = await self._change_returning(_UPDATE, state, next_at, lease_until, lease_owner, body, key,
                                           int(mail.etag or 0))
        if row is None:
            if await self.get_mail(key) is None:
                raise NotFound(f"no mail {key}")
            raise Conflict(f"mail {key} was changed by someone else")
        if mail.secret_kind and not mail.secret or self._wal_dirty:  # wiped: no copy may stay behind
            await self._forget_old_pages()
        return mail_from_dict(json.loads(body), str(row["version"]))

    async def update_mails(self, mails: list[InboundMail]) -> list[InboundMail | Conflict | NotFound]:
        """One transaction in one trip to the connection's thread: a trip costs about as much CPU as the write."""
        if not mails:
            return []
        rows = [self._mail_row(mail) for mail in mails]

        def write(connection: sqlite3.Connection) -> list[tuple[int | None, bool]]:
            """Each mail's new version (None when its etag was stale), and whether it exists at all."""
            outcomes = []
            for (key, _, state, _, next_at, lease_until, lease_owner, body), mail in zip(rows, mails):
                written = connection.execute(_UPDATE, (state, next_at, lease_until, lease_owner, body, key,
                                                       int(mail.etag or 0))).fetchall()
                outcomes.append((written[0][0], True) if written else (None, bool(connection.execute(
                    "SELECT 1 FROM mails WHERE key = ?", (key,)).fetchall())))
            return outcomes
        try:
            outcomes = await self._in_transaction(write)
        except (sqlite3.Error, ValueError) as error:  # ValueError: aiosqlite's connection is closed
            raise StoreUnavailable(f"SQLite store could not write {len(mails)} mails: {error}") from error
        if any(mail.secret_kind and not mail.secret for mail in mails) or self._wal_dirty:
            await self._forget_old_pages()
        return [_outcome(row, version, exists) for row, (version, exists) in zip(rows, outcomes)]

    async def _forget_old_pages(self) -> None:
        """secure_delete zeroes the row's old bytes in the new page image; the old image itself is still a frame of
        the write-ahead log until a checkpoint copies the log back and TRUNCATE empties the file. While a reader
        holds the log (a long export), the checkpoint cannot finish: it is tried again after the next mail write."""
        async with self._write:
            try:
                busy = (await self._one("PRAGMA wal_checkpoint(TRUNCATE)"))[0]
            except sqlite3.OperationalError:
                busy = 1
        self._wal_dirty = bool(busy)

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
