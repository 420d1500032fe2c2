"""The cards RootMail keeps current, rendered again from the store: for everyone (when it edits its post) or for one
person (when Teams refreshes the card for them, Universal Actions' user-specific views).

A view is the small dict each such card carries in its refresh action: {"view": "mail", "mail": key}, {"view":
"address" | "result", "address": ...}, {"view": "transfer", "address": ..., "request": ...}. A view is shown only to
the conversation it belongs to (or an admin): a refresh cannot be replayed from elsewhere to read someone's mail.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import cards
from bot.members import Rosters
from bot.services import Services
from cards.address import ADDRESS, RESULT, elsewhere_card
from cards.digest import tagged
from cards.mail import MAIL
from cards.protection import TRANSFER, transfer_decided_card, transfer_request_card
from core.addresses import transfer as transfers
from core.model import InboundMail, Owner, Person, RootAddress

Card = dict[str, Any]
RECENT_MAILS = 5


class Views:
    def __init__(self, services: Services, rosters: Rosters | None = None):
        self._services, self._rosters = services, rosters

    async def render(self, view: dict[str, Any], where: Owner, viewer: Person | None = None) -> Card | None:
        """The view's current card as seen in `where` (by `viewer`, or by everyone there when None); None when
        RootMail no longer has what it showed."""
        kind = view.get("view")
        if kind == MAIL:
            return await self._mail(str(view.get("mail") or ""), where, viewer)
        record = await self._services.store.get_address(str(view.get("address") or ""))
        if record is None:
            return None
        belongs = str(view.get("in") or record.owner.conversation_id) if kind == TRANSFER else record.owner.conversation_id
        if not await self._may_view(belongs, where, viewer):  # a request card stays with the channel it asked
            return elsewhere_card(record, where)
        if kind == RESULT:
            return cards.allocation_result(record, True)
        if kind == ADDRESS:
            may_change = viewer is None or bool(await self._services.access.may_change(viewer, where, record))
            return cards.lookup_card(record, await self._services.store.recent_mails(record.address, RECENT_MAILS),
                                     may_change)
        if kind == TRANSFER:
            return await self._transfer(record, view, where, viewer)
        return None

    async def _may_view(self, belongs_to: str, where: Owner, viewer: Person | None) -> bool:
        if where.conversation_id == belongs_to or self._services.is_admin_conversation(where.conversation_id):
            return True
        return viewer is not None and await self._services.access.is_admin(viewer)

    async def _mail(self, key: str, where: Owner, viewer: Person | None) -> Card | None:
        services = self._services
        mail = await services.store.get_mail(key) if key else None
        if mail is None or mail.digest or mail.verdict == "unverified":  # digests and quarantine are not views
            return None
        if not await self._may_view(mail.posted_to, where, viewer):
            return cards.notice_card("Not shown here", "This mail belongs to another conversation.")
        record = await services.store.get_address(mail.address)
        reveals = await services.revealer.history(mail) if services.revealer else []
        may_reveal = viewer is None or await self._may_reveal(viewer, where, mail, record)
        return tagged(cards.mail_card(mail, record, reveals, may_reveal), mail.key)

    async def _may_reveal(self, viewer: Person, where: Owner, mail: InboundMail, record: RootAddress | None) -> bool:
        """For the view only (Reveal checks with Teams when pressed): admins, and members of the owning team or
        chat as the kept roster knows them. Without a roster the button stays, and pressing it checks."""
        if await self._services.access.is_admin(viewer):
            return True
        if mail.verdict != "verified":
            return False
        owner = record.owner if record else where
        roster = await self._rosters.members(owner) if self._rosters else None
        return roster is None or any(member.id == viewer.id for member in roster)

    async def _transfer(self, record: RootAddress, view: dict[str, Any], where: Owner,
                        viewer: Person | None) -> Card | None:
        decided = view.get("decided")
        if isinstance(decided, dict):
            at = decided.get("at")
            return transfer_decided_card(record.address, str(decided.get("to") or ""), bool(decided.get("approved")),
                                         str(decided.get("by") or ""), datetime.fromisoformat(at) if at else None)
        asked = await transfers.pending(self._services.store, record.address)
        if asked is None or asked.id != view.get("request"):
            return cards.notice_card("Transfer request closed", f"This request to move {record.address} was "
                                     "decided, or a newer request replaced it.")
        may_decide = viewer is None or bool(await transfers.may_decide(self._services.access, viewer, where, record,
                                                                        asked))
        return transfer_request_card(record, asked.to_name, asked.by_name or "Someone", asked.id, may_decide)
