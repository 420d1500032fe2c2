"""SqliteStore's batches for the Graph path: a notification's notes and mails, and its moved notes, in one trip each."""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from typing import Iterator

from core.errors import StoreUnavailable
from core.model import InboundMail, MailState, RootAddress
from storage.codec import address_from_dict

_SET_FLAG = "INSERT OR REPLACE INTO flags VALUES (?, ?)"
_RECORD = "INSERT OR IGNORE INTO mails VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)"


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """A closed connection (ValueError) or a failing file is the store being unavailable; a row the schema refuses
    (IntegrityError) is a caller's bug and stays itself. Either way the batch's one transaction was rolled back:
    nothing of it was written."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except (sqlite3.Error, ValueError) as error:
        raise StoreUnavailable(f"SQLite store failed while {action}: {type(error).__name__}") from error


class SqliteBatches:
    """Mixed into SqliteStore, which gives _transaction, _all and _mail_row. Each method is one trip to
    aiosqlite's thread (about as much CPU as a small statement) and one transaction, whatever the batch's size."""

    async def record_mails(self, mails: list[InboundMail], flags: dict[str, str] | None = None) -> list[bool]:
        statements = [(_SET_FLAG, (name, value)) for name, value in (flags or {}).items()]
        statements += [(_RECORD, self._mail_row(mail)) for mail in mails]
        if not statements:
            return []
        with _translated("recording mails"):
            changed = await self._transaction(*statements)
        return [n == 1 for n in changed[len(statements) - len(mails):]]

    async def mail_states(self, keys: list[str]) -> dict[str, MailState]:
        if not keys:
            return {}
        with _translated("reading mail states"):
            rows = await self._all("SELECT key, state FROM mails WHERE key IN (SELECT value FROM json_each(?))",
                                   json.dumps(list(dict.fromkeys(keys))))
        return {r["key"]: MailState(r["state"]) for r in rows}

    async def delete_flags(self, names: list[str]) -> None:
        if names:
            with _translated("deleting flags"):
                await self._transaction(*(("DELETE FROM flags WHERE name = ?", (name,)) for name in names))

    async def get_addresses(self, addresses: list[str]) -> dict[str, RootAddress]:
        if not addresses:
            return {}
        keys = list(dict.fromkeys(a.strip().lower() for a in addresses))
        with _translated("reading addresses"):
            rows = await self._all("SELECT address, body, version FROM addresses "
                                   "WHERE address IN (SELECT value FROM json_each(?))", json.dumps(keys))
        return {r["address"]: address_from_dict(json.loads(r["body"]), str(r["version"])) for r in rows}
