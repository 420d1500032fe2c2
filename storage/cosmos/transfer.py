"""Writing copied records into Cosmos DB, for storage.migrate: each call converges one record, so a copy can be
run again (after a crash, or to catch up) and ends with the same result."""
from __future__ import annotations

from dataclasses import replace

from core.errors import AddressTaken
from core.model import AuditEvent, InboundMail, RootAddress
from storage.codec import address_to_dict
from storage.cosmos.calls import Docs
from storage.cosmos.docs import MAILBOXES_PK, alias_doc, audit_doc, escape, mail_doc


class CosmosTransfer:
    """Mixed into CosmosStore; uses its containers and its get/create/update_address."""

    _addresses: Docs
    _mails: Docs
    _meta: Docs
    _pool_docs: Docs

    async def import_alias(self, mailbox: str, alias: str, state: str) -> None:
        await self._pool_docs.upsert(alias_doc(mailbox, alias, state))

    async def import_address(self, record: RootAddress) -> bool:
        """Create the address with its request/account id claims, or bring an existing copy up to date.
        False when the stored copy was already the same."""
        existing = await self.get_address(record.address)
        if existing is None:
            try:
                await self.create_address(record)
                return True
            except AddressTaken:
                existing = await self.get_address(record.address)
        if _same(existing, record):
            return False
        await self.update_address(replace(record, etag=existing.etag))
        return True

    async def import_mail(self, mail: InboundMail) -> None:
        await self._mails.upsert(mail_doc(mail))

    async def import_audit(self, source_id: str, event: AuditEvent) -> bool:
        """The id comes from the event's time and its source id: stable, and ordered like the source."""
        stamp = int(event.at.timestamp() * 1_000_000) * 1000
        return await self._meta.create(audit_doc(event, f"{stamp:020d}-m{escape(source_id)}")) is not None

    async def inventory(self) -> dict[str, int]:
        """How many records of each kind the store holds (aliases by state)."""
        count = "SELECT VALUE COUNT(1) FROM c WHERE c.type = @type"
        return {
            "mailboxes": await self._pool_docs.scalar("SELECT VALUE COUNT(1) FROM c WHERE c.pk = @pk",
                                                      [{"name": "@pk", "value": MAILBOXES_PK}], MAILBOXES_PK),
            "aliases free": await self._pool_docs.scalar(count + " AND c.state = 'free'", _type("alias")),
            "aliases claimed": await self._pool_docs.scalar(count + " AND c.state != 'free'", _type("alias")),
            "addresses": await self._addresses.scalar(count, _type("address")),
            "mails": await self._mails.scalar(count, _type("mail")),
            "conversations": await self._meta.scalar(count, _type("conversation")),
            "audit": await self._meta.scalar(count, _type("audit")),
            "flags": await self._meta.scalar(count, _type("flag")),
        }


def _type(name: str) -> list[dict]:
    return [{"name": "@type", "value": name}]


def _same(a: RootAddress, b: RootAddress) -> bool:
    return address_to_dict(a) == address_to_dict(b)  # every field, the conversation reference included
