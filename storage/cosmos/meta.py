"""CosmosStore's meta container: conversations, audit events (newest first, by a sortable id), flags and leases."""
from __future__ import annotations

import secrets
import time
from datetime import datetime

from core.errors import NotFound, StoreUnavailable
from core.model import AuditEvent, Owner
from storage.codec import when
from storage.cosmos.calls import Docs, params
from storage.cosmos.docs import (audit_doc, audit_from_doc, audit_pk, conversation_doc, conversation_from_doc,
                                 conversation_key, flag_doc, flag_key, lease_doc, lease_key, with_created_event)


class CosmosMeta:
    """Mixed into CosmosStore; uses its meta container, and its address documents for the allocation event."""

    _meta: Docs
    _last_ns: int

    async def save_conversation(self, owner: Owner) -> None:
        await self._meta.upsert(conversation_doc(owner))

    async def get_conversation(self, conversation_id: str) -> Owner | None:
        key = conversation_key(conversation_id)
        doc = await self._meta.read(key, key)
        return conversation_from_doc(doc) if doc else None

    async def list_conversations(self, limit: int) -> list[Owner]:
        if limit <= 0:
            return []
        docs = await self._meta.query(f"SELECT TOP {int(limit)} * FROM c WHERE c.type = 'conversation' "
                                      "ORDER BY c.conversation_id")
        return [conversation_from_doc(d) for d in docs]

    async def append_audit(self, event: AuditEvent) -> None:
        self._last_ns = max(time.time_ns(), self._last_ns + 1)  # ties keep append order within this instance
        if await self._meta.create(audit_doc(event, f"{self._last_ns:020d}-{secrets.token_hex(4)}")) is None:
            raise StoreUnavailable("An audit event id was already used; nothing was written.")

    async def audit_for(self, subject: str, limit: int) -> list[AuditEvent]:
        if limit <= 0:
            return []
        pk = audit_pk(subject)
        docs = await self._meta.query(f"SELECT TOP {int(limit)} * FROM c WHERE c.pk = @pk ORDER BY c.seq DESC",
                                      params(pk=pk), pk)
        events = [audit_from_doc(d) for d in docs]
        if "@" in subject and (address := await self._address_doc(subject)):
            events = with_created_event(events, address, limit)
        return events

    async def get_flag(self, name: str) -> str | None:
        key = flag_key(name)
        doc = await self._meta.read(key, key)
        return doc["value"] if doc else None

    async def set_flag(self, name: str, value: str) -> None:
        await self._meta.upsert(flag_doc(name, value))

    async def add_flag(self, name: str, value: str) -> bool:
        return await self._meta.create(flag_doc(name, value)) is not None

    async def delete_flag(self, name: str) -> None:
        key = flag_key(name)
        await self._meta.delete(key, key)

    async def flags_with_prefix(self, prefix: str, limit: int) -> list[tuple[str, str]]:
        if limit <= 0:
            return []
        docs = await self._meta.query(f"SELECT TOP {int(limit)} * FROM c WHERE c.type = 'flag' "
                                      "AND STARTSWITH(c.name, @prefix) ORDER BY c.name", params(prefix=prefix))
        return [(d["name"], d["value"]) for d in docs]

    async def acquire_lease(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        """Create (409: someone else won) or an etag-conditioned replace of an expired or own lease (412: lost)."""
        key = lease_key(name)
        held = await self._meta.read(key, key)
        if held is None:
            return await self._meta.create(lease_doc(name, owner, when(until))) is not None
        if held["owner"] != owner and held["until"] > when(now):
            return False
        try:
            return await self._meta.replace(lease_doc(name, owner, when(until)), held["_etag"]) is not None
        except NotFound:  # released meanwhile: whoever creates it first wins
            return await self._meta.create(lease_doc(name, owner, when(until))) is not None

    async def release_lease(self, name: str, owner: str) -> None:
        key = lease_key(name)
        held = await self._meta.read(key, key)
        if held is not None and held["owner"] == owner:
            await self._meta.delete(key, key, held["_etag"])
