"""CosmosStore: the Store protocol on four Cosmos DB containers (the design is in storage/cosmos/client.py)."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from core.errors import (AccountIdTaken, AddressTaken, Conflict, DuplicateRequest, NotFound, RootMailError,
                         StoreUnavailable)
from core.model import AuditEvent, InboundMail, Mailbox, Page, RootAddress
from storage.codec import when
from storage.cosmos.batches import CosmosBatches
from storage.cosmos.calls import Docs, params
from storage.cosmos.docs import (address_doc, address_from_doc, address_key, created_event_field, decode_token,
                                 encode_token, escape, kept_created_event, mail_doc, mail_from_doc, mail_pk)
from storage.cosmos.meta import CosmosMeta
from storage.cosmos.pool import AliasPool
from storage.cosmos.transfer import CosmosTransfer
from storage.cosmos.unique import Claim, UniqueValues, ValueTaken

logger = logging.getLogger(__name__)

_ADDRESSES = "SELECT {top} * FROM c WHERE c.type = 'address' AND {where} ORDER BY {order}"
_DUE = ("SELECT TOP {limit} * FROM c WHERE c.type = 'mail' AND c.state IN ('received', 'failed') "
        "AND c.next_attempt_at <= @now AND (IS_NULL(c.lease_until) OR c.lease_until <= @now){urgent} "
        "ORDER BY c.next_attempt_at")
_URGENT = " AND c.severity IN ('critical', 'high')"
_RANK = {"critical": 0, "high": 1, "low": 3}
BATCH_WRITES = 16  # replaces of one update_mails in flight at once (as many as the burst keeps posts in flight)


class CosmosStore(CosmosMeta, CosmosTransfer, CosmosBatches):
    def __init__(self, addresses: Docs, pool: Docs, mails: Docs, meta: Docs, claim_grace: float):
        self._addresses, self._mails, self._meta, self._pool_docs = addresses, mails, meta, pool
        self._pool = AliasPool(pool, addresses)
        self._unique = UniqueValues(addresses, claim_grace)
        self._last_ns = 0

    async def ping(self) -> None:
        await self._addresses.properties()

    # --- mailbox pool -------------------------------------------------------------------
    async def save_mailbox(self, mailbox: Mailbox) -> None:
        await self._pool.save_mailbox(mailbox)

    async def mailboxes(self) -> list[Mailbox]:
        return await self._pool.mailboxes()

    async def add_aliases(self, mailbox: str, aliases: list[str]) -> int:
        return await self._pool.add(mailbox, aliases)

    async def claim_alias(self, mailbox: str) -> str | None:
        return await self._pool.claim(mailbox)

    async def release_alias(self, alias: str) -> None:
        await self._pool.release(alias)

    async def free_alias_count(self, mailbox: str) -> int:
        return await self._pool.free_count(mailbox)

    async def alias_states(self, mailbox: str) -> dict[str, str]:
        return await self._pool.states(mailbox)

    async def remove_free_aliases(self, mailbox: str, aliases: list[str]) -> int:
        return await self._pool.remove_free(mailbox, aliases)

    # --- root addresses -----------------------------------------------------------------
    async def create_address(self, record: RootAddress, event: AuditEvent | None = None) -> RootAddress:
        claims: list[Claim] = []
        try:
            if record.request_id:
                claims.append(await self._take("request", record.request_id, record.address))
            if record.account_id:
                claims.append(await self._take("account", record.account_id, record.address))
            # the allocation's audit event rides in the address document: one write fewer, and never one without
            # the other (audit_for reads it back from there)
            created = await self._addresses.create({**address_doc(record), **created_event_field(event)})
            if created is None:
                raise AddressTaken(f"{record.address} is already taken; addresses are never reused.")
        except BaseException:
            await self._undo(claims)
            raise
        return address_from_doc(created)

    async def _take(self, kind: str, value: str, address: str) -> Claim:
        field = f"{kind}_id"

        async def committed(holder: str) -> bool:
            doc = await self._address_doc(holder)
            return doc is not None and doc.get(field) == value
        try:
            return await self._unique.take(kind, value, address, committed)
        except ValueTaken as taken:
            if kind == "request":
                raise DuplicateRequest(taken.holder) from None
            raise AccountIdTaken(value, taken.holder) from None

    async def _undo(self, claims: list[Claim]) -> None:
        for claim in claims:
            try:
                await self._unique.undo(claim)
            except RootMailError:
                logger.warning("could not undo a uniqueness claim; it expires by itself", extra={"claim": claim.key})

    async def _address_doc(self, address: str) -> dict | None:
        key = address_key(address)
        doc = await self._addresses.read(key, key)
        return doc if doc and doc.get("type") == "address" else None

    async def get_address(self, address: str) -> RootAddress | None:
        doc = await self._address_doc(address)
        return address_from_doc(doc) if doc else None

    async def _by_claim(self, kind: str, value: str) -> RootAddress | None:
        holder = await self._unique.holder(kind, value)
        record = await self.get_address(holder) if holder else None
        return record if record and getattr(record, f"{kind}_id") == value else None

    async def get_by_account_id(self, account_id: str) -> RootAddress | None:
        return await self._by_claim("account", account_id)

    async def get_by_request_id(self, request_id: str) -> RootAddress | None:
        return await self._by_claim("request", request_id)

    async def search_addresses(self, fragment: str, limit: int) -> list[RootAddress]:
        if limit <= 0:
            return []
        sql = _ADDRESSES.format(top=f"TOP {int(limit)}", order="c.sort_key",
                                where="(CONTAINS(c.name_lc, @fragment) OR CONTAINS(c.address_lc, @fragment))")
        return [address_from_doc(d) for d in await self._addresses.query(sql, params(fragment=fragment.lower()))]

    async def list_by_owner(self, conversation_id: str, page_size: int, continuation: str | None = None) -> Page:
        # owner_id leads the ORDER BY so the (owner_id, sort_key) composite index serves filter and order together
        sql = _ADDRESSES.format(top=f"TOP {int(page_size) + 1}", order="c.owner_id, c.sort_key",
                                where="c.owner_id = @owner AND c.sort_key > @after")
        docs = await self._addresses.query(sql, params(owner=conversation_id, after=decode_token(continuation)))
        items = docs[:page_size]
        token = encode_token(items[-1]["sort_key"]) if len(docs) > page_size else None
        return Page([address_from_doc(d) for d in items], token)

    async def list_addresses(self, page_size: int, continuation: str | None = None,
                             requester: str | None = None) -> Page:
        values = {"after": decode_token(continuation)}
        where = "c.sort_key > @after"
        if requester is not None:
            values["requester"], where = requester, where + " AND c.requester_key = @requester"
        sql = (f"SELECT TOP {int(page_size) + 1} * FROM c WHERE c.type = 'address' AND {where} "
               "ORDER BY c.sort_key")
        docs = await self._addresses.query(sql, params(**values))
        items = docs[:page_size]
        token = encode_token(items[-1]["sort_key"]) if len(docs) > page_size else None
        return Page([address_from_doc(d) for d in items], token)

    async def update_address(self, record: RootAddress) -> RootAddress:
        current = await self._address_doc(record.address)
        if current is None:
            raise NotFound(f"RootMail does not know the address {record.address}.")
        if record.etag is None or current["_etag"] != record.etag:
            raise Conflict(f"{record.address} was changed by someone else.")
        old, new = current.get("account_id"), record.account_id
        claims: list[Claim] = []
        try:
            if new and new != old:
                claims.append(await self._take("account", new, record.address))
            # the request id is fixed at allocation: its claim points here whatever the caller sends
            replaced = await self._addresses.replace({**address_doc(record), "request_id": current.get("request_id"),
                                                      **kept_created_event(current)}, record.etag)
            if replaced is None:
                raise Conflict(f"{record.address} was changed by someone else.")
        except BaseException:
            await self._undo(claims)
            raise
        if old and old != new:
            await self._unique.release("account", old, record.address)
        return address_from_doc(replaced)

    async def count_addresses(self) -> int:
        return await self._addresses.scalar("SELECT VALUE COUNT(1) FROM c WHERE c.type = 'address'")

    # --- inbound mail -------------------------------------------------------------------
    async def record_mail(self, mail: InboundMail) -> bool:
        return await self._mails.create(mail_doc(mail)) is not None

    async def get_mail(self, key: str) -> InboundMail | None:
        docs = await self._mails.query("SELECT * FROM c WHERE c.id = @id", params(id=escape(key)))
        return mail_from_doc(docs[0]) if docs else None

    async def claim_due_mails(self, now: datetime, owner: str, lease_until: datetime, limit: int) -> list[InboundMail]:
        if limit <= 0:
            return []
        # urgent mail first, by a query of its own: one ORDER BY field needs no composite index
        due = await self._mails.query(_DUE.format(limit=int(limit), urgent=_URGENT), params(now=when(now)))
        if len(due) < limit:
            seen = {doc["id"] for doc in due}
            rest = await self._mails.query(_DUE.format(limit=int(limit), urgent=""), params(now=when(now)))
            due += [doc for doc in rest if doc["id"] not in seen][:limit - len(due)]
        # a lease that failed to be written is skipped, not fatal: that mail is claimed again in a later round
        leased = await asyncio.gather(*(self._lease(doc, owner, lease_until) for doc in due), return_exceptions=True)
        failed = [e for e in leased if isinstance(e, BaseException)]
        if failed and len(failed) == len(leased):
            raise failed[0]
        return sorted((m for m in leased if isinstance(m, InboundMail)),
                      key=lambda m: (_RANK.get(m.severity, 2), m.next_attempt_at))

    async def release_mail_leases(self, owner: str) -> int:
        held = await self._mails.query(
            "SELECT * FROM c WHERE c.type = 'mail' AND c.lease_owner = @owner AND NOT IS_NULL(c.lease_until) "
            "AND c.state IN ('received', 'failed')", params(owner=owner))
        released = await asyncio.gather(*(self._release(doc) for doc in held))
        return sum(released)

    async def _release(self, doc: dict) -> bool:
        try:
            return await self._mails.replace({**doc, "lease_owner": "", "lease_until": None}, doc["_etag"]) is not None
        except NotFound:
            return False

    async def _lease(self, doc: dict, owner: str, lease_until: datetime) -> InboundMail | None:
        try:
            leased = await self._mails.replace({**doc, "lease_owner": owner, "lease_until": when(lease_until)},
                                               doc["_etag"])
        except NotFound:
            return None
        return mail_from_doc(leased) if leased else None

    async def update_mail(self, mail: InboundMail) -> InboundMail:
        try:
            replaced = await self._mails.replace(mail_doc(mail), mail.etag) if mail.etag else None
        except NotFound:
            replaced = None
        if replaced is None:
            if await self.get_mail(mail.key) is None:
                raise NotFound(f"no mail {mail.key}")
            raise Conflict(f"mail {mail.key} was changed by someone else")
        return mail_from_doc(replaced)

    async def update_mails(self, mails: list[InboundMail]) -> list[InboundMail | Conflict | NotFound]:
        """One conditional replace per mail, at most BATCH_WRITES at a time: a transactional batch holds one logical
        partition only (https://learn.microsoft.com/azure/cosmos-db/nosql/transactional-batch), and each mail's
        partition is its address. Every replace is answered before this returns (a caller that then writes a mail
        alone never races a replace still in flight)."""
        bound = asyncio.Semaphore(BATCH_WRITES)

        async def one(mail: InboundMail) -> InboundMail | Exception:
            async with bound:
                try:
                    return await self.update_mail(mail)
                except (Conflict, NotFound, StoreUnavailable) as error:
                    return error
        outcomes = await asyncio.gather(*(one(mail) for mail in mails))
        if away := next((o for o in outcomes if isinstance(o, StoreUnavailable)), None):
            raise away
        return outcomes

    async def recent_mails(self, address: str, limit: int) -> list[InboundMail]:
        if limit <= 0:
            return []
        pk = mail_pk(address)
        docs = await self._mails.query(f"SELECT TOP {int(limit)} * FROM c WHERE c.pk = @pk ORDER BY c.received_at DESC",
                                       params(pk=pk), pk)
        return [mail_from_doc(d) for d in docs]

    async def count_mails(self, state: str | None = None) -> int:
        if state is None:
            return await self._mails.scalar("SELECT VALUE COUNT(1) FROM c WHERE c.type = 'mail'")
        return await self._mails.scalar("SELECT VALUE COUNT(1) FROM c WHERE c.type = 'mail' AND c.state = @state",
                                        params(state=state))

    async def expired_secrets(self, now: datetime, limit: int) -> list[InboundMail]:
        if limit <= 0:
            return []
        docs = await self._mails.query(
            f"SELECT TOP {int(limit)} * FROM c WHERE c.type = 'mail' AND c.secret != '' "
            "AND c.secret_expires_at <= @now ORDER BY c.secret_expires_at", params(now=when(now)))
        return [mail_from_doc(d) for d in docs]
