"""Reveal: a sealed code or reset link goes, 1:1, to one person allowed to see it; audited; wiped after its window."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Awaitable, Callable, Protocol

from core.addresses.access import Access, audit_refusal
from core.errors import Conflict, NotFound, RootMailError
from core.intake.inspection import secret_context
from core.intake.leak_guard import LeakGuard
from core.model import AuditEvent, InboundMail, MailState, Owner, Person, RootAddress
from core.ports import Clock, PostFailed, Store
from core.intake.secrets_box import SecretBox, SecretUnreadable

logger = logging.getLogger(__name__)

Card = dict[str, Any]
REVEAL_HISTORY = 200  # audit events looked at to list who revealed a mail


class MembershipUnknown(RootMailError):
    """Teams could not say whether the person belongs to the conversation; treated as 'no'."""


class Membership(Protocol):
    async def is_member(self, owner: Owner, person: Person) -> bool:
        """Whether the person belongs to the owner: the team of a channel, or the members of a chat.
        Raises MembershipUnknown when that cannot be found out."""


class Messenger(Protocol):
    async def send_private(self, person: Person, where: Owner, card: Card, summary: str) -> str:
        """Post the card in the bot's 1:1 chat with the person (created if needed), reached through the
        conversation they acted in; returns "<chat id>|<activity id>" of the post ("" if unknown). Raises
        PostFailed (`unreachable` when the person cannot be written to: the app is not installed for them)."""

    async def update(self, owner: Owner, activity_id: str, card: Card, summary: str) -> None:
        """Replace a posted card for everyone. Raises PostFailed."""


class RevealGate(Protocol):
    async def refusal(self, mail: InboundMail, person: Person, now: datetime) -> str:
        """A stricter rule for some mails (core.root_access.recovery): why this person may not reveal this mail now,
        or "" to leave it to the usual rules. A gate can only refuse, never allow."""


@dataclass(frozen=True)
class Revealed:
    by: str
    at: datetime


@dataclass(frozen=True)
class RevealCards:
    """The cards Reveal sends; built by the card layer and handed in."""

    channel: Callable[[InboundMail, RootAddress | None, list[Revealed]], Card]
    private: Callable[[InboundMail, RootAddress | None, str, datetime], Card]
    wiped: Callable[[InboundMail, RootAddress | None], Card] | None = None  # the private card once the window closed


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | refused | expired | nothing | unavailable | failed | not_found
    message: str
    mail: InboundMail | None = None
    record: RootAddress | None = None
    reveals: tuple[Revealed, ...] = ()

    @property
    def sent(self) -> bool:
        return self.status == "sent"


@dataclass
class Revealer:
    store: Store
    clock: Clock
    box: SecretBox | None
    access: Access
    members: Membership
    messenger: Messenger
    cards: RevealCards
    gates: tuple[RevealGate, ...] = ()  # asked first, admins included; then the usual rules still apply

    async def reveal(self, mail_key: str, person: Person, where: Owner) -> Outcome:
        mail = await self.store.get_mail(mail_key) if mail_key else None
        if mail is None:
            return Outcome("not_found", "RootMail no longer has this mail.")
        record = await self.store.get_address(mail.address)
        if refusal := await self._refusal(mail, record, person, where):
            await self._audit(mail, person, "reveal-refused", refusal)
            return Outcome("refused", refusal, mail, record, await self.history(mail))
        now = self.clock()
        if mail.secret_expires_at is not None and now >= mail.secret_expires_at:
            await self._audit(mail, person, "reveal-refused", "expired")
            return Outcome("expired", "The reveal window of this mail has closed; the code or link is gone. Ask AWS "
                           "for a new one if you still need it.", mail, record, await self.history(mail))
        if mail.state is MailState.CONSUMED:
            return Outcome("nothing", "RootMail used this code itself to adopt the account; nobody can reveal it.",
                           mail, record)
        if not mail.secret or self.box is None:
            return Outcome("nothing", "This mail has no code or link RootMail can reveal.", mail, record)
        try:
            secret = self.box.open(mail.secret, secret_context(mail.key))
        except SecretUnreadable as unreadable:
            await self._audit(mail, person, "reveal-failed", str(unreadable))
            return Outcome("unavailable", f"{unreadable} Ask an admin to check ROOTMAIL_SECRET_KEY.", mail, record)
        try:
            posted = await self.messenger.send_private(person, where, self.cards.private(
                mail, record, secret, mail.secret_expires_at or now), f"{mail.secret_kind or 'code'} from AWS")
        except PostFailed as failure:
            await self._audit(mail, person, "reveal-failed", failure.reason)
            return Outcome("failed", _undelivered(failure), mail, record)
        chat, _, message = (posted or "").partition("|")
        await self._audit(mail, person, "reveal", "", {"chat": chat[:200], "message": message[:200]} if message else {})
        reveals = await self.history(mail)
        await self._refresh(mail, record, reveals)
        return Outcome("sent", "Sent to you in your private chat with RootMail.", mail, record, tuple(reveals))

    async def _refusal(self, mail: InboundMail, record: RootAddress | None, person: Person, where: Owner) -> str:
        if not self.access.tenant_allowed(where.tenant_id):
            return "Your organisation may not use RootMail."
        for gate in self.gates:
            if reason := await gate.refusal(mail, person, self.clock()):
                return reason
        if await self.access.is_admin(person):
            return ""
        if mail.verdict != "verified":
            return "Only RootMail admins may look into mail whose sender could not be verified."
        owner = record.owner if record else await self._admin_conversation()
        if owner is None:
            return "Only RootMail admins may reveal mail for an address RootMail does not know."
        try:
            member = await self.members.is_member(owner, person)
        except MembershipUnknown:
            return "RootMail could not check that you belong to the owning team; nothing was revealed. Try again."
        if not member:
            return ("Only members of the team that owns this address, or RootMail admins, may reveal its codes."
                    if record else "Only members of the admin conversation, or RootMail admins, may reveal this.")
        return ""

    async def _admin_conversation(self) -> Owner | None:
        """Mail for an unknown address was posted to the admin conversation: its members decide about it."""
        conversation = self.access.policy.admin_conversation
        return await self.store.get_conversation(conversation) if conversation else None

    async def history(self, mail: InboundMail) -> list[Revealed]:
        events = await self.store.audit_for(mail.address, REVEAL_HISTORY)
        return [Revealed(e.detail.get("by") or e.actor, e.at) for e in reversed(events)
                if e.action == "reveal" and e.detail.get("mail") == mail.key]

    async def expired(self, mail: InboundMail) -> None:
        """After its secret was wiped: the channel card loses its Reveal button and says so, and each private card
        that carried the code or link is updated to name the mail without it."""
        record = await self.store.get_address(mail.address)
        await self._refresh(mail, record, await self.history(mail))
        if self.cards.wiped is None:
            return
        channel = await self.store.get_conversation(mail.posted_to) if mail.posted_to else None
        for chat, message in await self._private_copies(mail):
            where = _private_chat(channel or (record.owner if record else None), chat)
            if where is None:
                continue
            try:
                await self.messenger.update(where, message, self.cards.wiped(mail, record), mail.subject)
            except PostFailed as failure:
                logger.warning("could not remove a revealed copy from a private chat", extra={"reason": failure.reason})

    async def _private_copies(self, mail: InboundMail) -> list[tuple[str, str]]:
        events = await self.store.audit_for(mail.address, REVEAL_HISTORY)
        return [(e.detail["chat"], e.detail["message"]) for e in events if e.action == "reveal"
                and e.detail.get("mail") == mail.key and e.detail.get("chat") and e.detail.get("message")]

    async def _refresh(self, mail: InboundMail, record: RootAddress | None, reveals: list[Revealed]) -> None:
        """Everyone in the channel sees who revealed it and when; failing that only costs the notice. A digest
        post carries many mails, so it is left as it is (the audit keeps who revealed what)."""
        if mail.digest:
            return
        where = await self.store.get_conversation(mail.posted_to) if mail.posted_to and mail.activity_id else None
        if where is None:
            return
        try:
            card = LeakGuard(self.box).clean(self.cards.channel(mail, record, reveals), [mail])
            await self.messenger.update(where, mail.activity_id, card, mail.subject)
        except PostFailed as failure:
            logger.warning("could not update the mail card after a reveal", extra={"reason": failure.reason})

    async def _audit(self, mail: InboundMail, person: Person, action: str, reason: str,
                     more: dict[str, str] | None = None) -> None:
        if action == "reveal-refused":
            await audit_refusal(self.store, self.clock, person, "reveal", mail.address, reason)
            return
        detail = {"mail": mail.key, "kind": mail.kind, "by": person.name[:80] or person.id, **(more or {})}
        if reason:
            detail["reason"] = reason[:300]
        await self.store.append_audit(AuditEvent(self.clock(), person.aad_object_id or person.id, action,
                                                 mail.address, detail))


def _undelivered(failure: PostFailed) -> str:
    """What the person who pressed Reveal can do when the private chat could not be written to."""
    if failure.unreachable:
        return ("RootMail cannot open a private chat with you, so nothing was revealed: the RootMail app is not "
                "installed for you, or you blocked it. In Teams, open Apps, find RootMail and select Add (or unblock "
                "it), then press Reveal again. An admin can also install it for everyone.")
    if failure.throttled:
        return "Teams asked RootMail to slow down, so nothing was revealed yet. Press Reveal again in a minute."
    return "RootMail could not reach your private chat with it; nothing was revealed. Try again in a minute."


def _private_chat(channel: Owner | None, chat_id: str) -> Owner | None:
    """The 1:1 chat as an Owner RootMail can write to: the channel's service and bot, the chat's id."""
    if channel is None or not channel.reference:
        return None
    conversation = {"id": chat_id, "conversationType": "personal", "isGroup": False}
    if channel.tenant_id:
        conversation["tenantId"] = channel.tenant_id
    return Owner(chat_id, "personal chat", tenant_id=channel.tenant_id,
                 reference={**channel.reference, "conversation": conversation})


OnWiped = Callable[[InboundMail], Awaitable[None]]


async def wipe_expired(store: Store, clock: Clock, limit: int = 100, on_wiped: OnWiped | None = None) -> int:
    """Drop the sealed secrets whose window closed; returns how many. Mails leased for posting are left for
    the next round, so the forwarder's write is never lost."""
    now = clock()
    wiped = 0
    for mail in await store.expired_secrets(now, limit):
        if mail.lease_until is not None and mail.lease_until > now:
            continue
        try:
            done = await store.update_mail(replace(mail, secret=""))
        except (Conflict, NotFound):
            continue
        wiped += 1
        if on_wiped is not None:
            try:
                await on_wiped(done)
            except Exception:
                logger.exception("after wiping a secret, updating its card failed")
    return wiped
