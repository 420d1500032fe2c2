"""SqliteStore's conversations, audit events, flags and leases."""
from __future__ import annotations

import json
from datetime import datetime

from core.model import AuditEvent, Owner
from storage.codec import audit_from_dict, audit_to_dict, dumps, owner_from_dict, owner_to_dict, when


class SqliteMeta:
    """Mixed into SqliteStore, which gives _one, _all and _change."""

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
