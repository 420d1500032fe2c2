"""Change-notification subscriptions, one per mailbox Inbox: created with a random clientState (only its hash is
kept), renewed when a third of the lifetime is left, recreated when Graph removed it; all under a lease."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.errors import MailSourceUnavailable, NotFound
from core.ports import Clock, Store
from mail.graph.api import GraphMail
from mail.graph.routes import LIFECYCLE_PATH, NOTIFICATIONS_PATH

logger = logging.getLogger(__name__)

RECORD_FLAG = "graph-subscription:"  # + mailbox -> {"id", "expires", "state_hash"}
LEASE = "graph-subscription:"  # + mailbox
RELOAD_EVERY = 1.0  # seconds: an unknown subscription id reloads the records at most this often


def _digest(client_state: str) -> str:
    return hashlib.sha256(client_state.encode()).hexdigest()


@dataclass(frozen=True)
class SubscriptionRecord:
    mailbox: str
    id: str
    expires: datetime
    state_hash: str

    def to_json(self) -> str:
        return json.dumps({"id": self.id, "expires": self.expires.isoformat(), "state_hash": self.state_hash})

    @classmethod
    def from_json(cls, mailbox: str, text: str) -> "SubscriptionRecord":
        data = json.loads(text)
        return cls(mailbox, data["id"], datetime.fromisoformat(data["expires"]), data["state_hash"])


@dataclass
class SubscriptionKeeper:
    store: Store
    clock: Clock
    graph: GraphMail
    owner: str
    public_url: str
    mailboxes: list[str]
    lifetime: timedelta = timedelta(minutes=4320)
    lease: timedelta = timedelta(minutes=1)
    _known: dict[str, SubscriptionRecord] = field(default_factory=dict)  # subscription id -> record
    _reloaded_at: float = field(default=float("-inf"))

    async def ensure_all(self) -> bool:
        """True when every mailbox has a live subscription (or another instance is seeing to it)."""
        ok = True
        for mailbox in self.mailboxes:
            try:
                await self.ensure(mailbox)
            except (MailSourceUnavailable, NotFound) as error:
                ok = False
                logger.warning("could not subscribe to the mailbox", extra={"mailbox": mailbox, "error": str(error)})
        return ok

    async def ensure(self, mailbox: str, recreate: bool = False) -> SubscriptionRecord | None:
        """A live subscription for the mailbox: kept, renewed or (re)created. None if another instance is on it."""
        now = self.clock()
        if not await self._lease(mailbox, now):
            return None
        try:
            record = await self.record(mailbox)
            if record and not recreate:
                if record.expires - now > self.lifetime / 3:
                    return record
                try:
                    renewed = await self.graph.renew(record.id, now + self.lifetime)
                    return await self._save(SubscriptionRecord(mailbox, record.id, renewed.expires,
                                                               record.state_hash))
                except NotFound:
                    logger.warning("subscription vanished; creating a new one", extra={"mailbox": mailbox})
            if record:
                await self.graph.unsubscribe(record.id)
            return await self._create(mailbox, now)
        finally:
            await self.store.release_lease(LEASE + mailbox, self.owner)

    async def reauthorize(self, record: SubscriptionRecord) -> None:
        """Graph asks for this before it stops sending: reauthorize, or recreate if Graph no longer has it."""
        try:
            await self.graph.reauthorize(record.id)
            logger.info("subscription reauthorized", extra={"mailbox": record.mailbox})
        except NotFound:
            await self.ensure(record.mailbox, recreate=True)

    async def verify(self, subscription_id: str, client_state: str) -> SubscriptionRecord | None:
        """The subscription a notification claims to be for, if it is ours and carries our clientState."""
        record = self._known.get(subscription_id)
        if record is None and asyncio.get_running_loop().time() - self._reloaded_at >= RELOAD_EVERY:
            await self.reload()  # created by another instance, or before this one started
            record = self._known.get(subscription_id)
        if record is None or not hmac.compare_digest(record.state_hash, _digest(client_state or "")):
            return None
        return record

    async def reload(self) -> None:
        self._reloaded_at = asyncio.get_running_loop().time()
        for mailbox in self.mailboxes:
            await self.record(mailbox)

    async def record(self, mailbox: str) -> SubscriptionRecord | None:
        saved = await self.store.get_flag(RECORD_FLAG + mailbox)
        record = SubscriptionRecord.from_json(mailbox, saved) if saved else None
        if record:
            self._known[record.id] = record
        return record

    async def _create(self, mailbox: str, now: datetime) -> SubscriptionRecord:
        client_state = secrets.token_urlsafe(48)  # 64 characters; Graph allows 128
        info = await self.graph.subscribe(mailbox, self.public_url + NOTIFICATIONS_PATH,
                                          self.public_url + LIFECYCLE_PATH, client_state, now + self.lifetime)
        logger.info("subscribed to the mailbox", extra={"mailbox": mailbox, "expires": info.expires.isoformat()})
        return await self._save(SubscriptionRecord(mailbox, info.id, info.expires, _digest(client_state)))

    async def _save(self, record: SubscriptionRecord) -> SubscriptionRecord:
        await self.store.set_flag(RECORD_FLAG + record.mailbox, record.to_json())
        self._known = {k: v for k, v in self._known.items() if v.mailbox != record.mailbox}
        self._known[record.id] = record
        return record

    async def _lease(self, mailbox: str, now: datetime) -> bool:
        """Renewals are short: wait a little for another instance's rather than skip a removed subscription."""
        for _ in range(10):
            if await self.store.acquire_lease(LEASE + mailbox, self.owner, now, now + self.lease):
                return True
            await asyncio.sleep(0.5)
            now = self.clock()
        return False
