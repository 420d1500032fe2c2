"""The least work a store needs for the same job, on the same table or the same SDK client: the baselines bench.store
and bench.burst report RootMail's figures against.

SQLite: the store's own aiosqlite connection. A bare read is one SELECT with its rows fetched in one trip to the
connection's thread (execute_fetchall); a bare allocation is one transaction on that thread — claim the alias, insert
the address row and its audit row — in one trip; a bare mail is one INSERT. Cosmos DB: the store's own SDK container
clients — a bare point read (read_item), the allocation's three writes (the alias's etag-conditioned replace, the
request-id claim, the address document: Cosmos DB has no transaction across partitions), one create per mail.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from azure.core import MatchConditions

from core.model import AuditEvent, InboundMail, RootAddress
from storage.codec import address_to_dict, audit_to_dict, dumps

TIMEOUT = 20.0  # seconds, as the store's own calls


@dataclass(frozen=True)
class Allocation:
    """What an allocation writes: the alias it takes, the address record and its audit event."""

    mailbox: str
    alias: str
    record: RootAddress
    event: AuditEvent


class BareSqlite:
    READS = {"address": "address", "account id": "account_id", "request id": "request_id"}

    def __init__(self, store):
        self.db = store._db
        self.mail_row = store._mail_row  # the row SqliteStore.record_mail writes

    async def read(self, kind: str, value: str) -> Any:
        rows = await self.db.execute_fetchall(f"SELECT body, version FROM addresses WHERE {self.READS[kind]} = ?",
                                              (value,))
        return rows[0] if rows else None

    def prepared(self, job: Allocation) -> tuple:
        r = job.record
        return ((job.alias,), (r.address, r.owner.conversation_id, r.account_name.lower(), r.account_id, r.request_id,
                               dumps(address_to_dict(r))), (job.event.subject, dumps(audit_to_dict(job.event))))

    async def allocate(self, rows: tuple) -> None:
        alias, address, audit = rows
        connection = self.db._conn  # the sqlite3 connection aiosqlite's thread owns; used only on that thread

        def transaction() -> None:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("UPDATE aliases SET state = 'claimed' WHERE address = ? AND state = 'free'", alias)
            connection.execute("INSERT INTO addresses VALUES (?, ?, ?, ?, ?, ?, 1)", address)
            connection.execute("INSERT INTO audit (subject, body) VALUES (?, ?)", audit)
            connection.execute("COMMIT")
        await self.db._execute(transaction)  # one trip to the connection's thread for the whole transaction

    async def insert_mail(self, row: tuple) -> None:
        await self.db.execute("INSERT INTO mails VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)", row)


class BareCosmos:
    def __init__(self, store):
        self.addresses = store._addresses.container
        self.pool = store._pool_docs.container
        self.mails = store._mails.container

    async def read(self, kind: str, value: str) -> Any:
        """A point read of the address document, whatever the lookup was by (see BENCHMARKS.md on claims)."""
        from storage.cosmos.docs import address_key

        key = address_key(value)
        return await self.addresses.read_item(key, key, timeout=TIMEOUT)

    async def free_aliases(self, mailbox: str) -> list[dict]:
        """The mailbox's alias documents with their etags, read before the timing starts."""
        from storage.cosmos.docs import aliases_pk

        pk = aliases_pk(mailbox)
        return [d async for d in self.pool.query_items("SELECT * FROM c WHERE c.pk = @pk AND c.state = 'free'",
                                                       parameters=[{"name": "@pk", "value": pk}], partition_key=pk,
                                                       timeout=TIMEOUT)]

    def prepared(self, job: Allocation, alias_doc: dict) -> tuple:
        from storage.cosmos.docs import address_doc, claim_doc, created_event_field

        r = job.record
        return (alias_doc, claim_doc("request", r.request_id, r.address, time.time()),
                {**address_doc(r), **created_event_field(job.event)})

    async def allocate(self, docs: tuple) -> None:
        alias, claim, address = docs
        await self.pool.replace_item(alias["id"], {**alias, "state": "claimed"}, etag=alias["_etag"],
                                     match_condition=MatchConditions.IfNotModified, timeout=TIMEOUT)
        await self.addresses.create_item(claim, timeout=TIMEOUT)
        await self.addresses.create_item(address, timeout=TIMEOUT)

    @staticmethod
    def mail_row(mail: InboundMail) -> dict:
        from storage.cosmos.docs import mail_doc

        return mail_doc(mail)

    async def insert_mail(self, doc: dict) -> None:
        await self.mails.create_item(doc, timeout=TIMEOUT)


def bare(store) -> BareSqlite | BareCosmos:
    return BareSqlite(store) if hasattr(store, "_db") else BareCosmos(store)
