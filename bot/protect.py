"""Handlers of root mail protection: reveal, transfer, audit, and the refusals every other handler may give."""
from __future__ import annotations

import logging
import shlex
from typing import Any, Awaitable, Callable

from dataclasses import replace

import cards
from bot.services import Services
from bot.turn import Answer, Turn
from cards.address import owner_name, place
from cards.protection import TRANSFER, audit_card, refusal_card, transfer_decided_card, transfer_request_card
from core.addresses import registry
from core.addresses import transfer as transfers
from core.addresses.access import audit_refusal
from core.addresses.allocation import Allocation
from core.addresses.limits import OverLimit
from core.addresses.rules import NewAddressRequest
from core.errors import Forbidden
from core.model import Owner
from core.ports import PostFailed

logger = logging.getLogger(__name__)

Card = dict[str, Any]
AUDIT_ROWS = 30


def _first_word(turn: Turn, key: str) -> str:
    if turn.data.get(key):
        return str(turn.data[key])
    try:
        words = shlex.split(turn.text)
    except ValueError:
        words = turn.text.split()
    return words[0] if words else ""


async def refused(services: Services, turn: Turn, action: str, subject: str, title: str, reason: str) -> Answer:
    """A no, on record: the card for a typed command; to a pressed button, the words alone for the presser."""
    await audit_refusal(services.store, services.clock, turn.person, action, subject, reason)
    return Answer(refusal_card(title, reason), message=f"{title}. {reason}", refusal=True)


async def tenant_refusal(services: Services, turn: Turn) -> Answer | None:
    """Activities from tenants that are not allowed get this card, and nothing else happens."""
    if services.access.tenant_allowed(turn.owner.tenant_id):
        return None
    return await refused(services, turn, "use", f"tenant:{turn.owner.tenant_id}", "RootMail is not available here",
                         "RootMail is not available to your organisation.")


async def request_refusal(services: Services, turn: Turn) -> Answer | None:
    decision = await services.access.may_request(turn.person)
    if decision:
        return None
    return await refused(services, turn, "new", "", "You cannot ask for new addresses", decision.reason)


async def limit_refusal(services: Services, turn: Turn) -> Card | None:
    """Before the form is shown: a person or conversation already at an allocation limit is told so at once."""
    if services.limiter is None or await services.access.acts_as_admin(turn.person, turn.owner):
        return None
    over = await services.limiter.check(turn.person, turn.owner)
    return await over_limit(services, turn, over) if over else None


async def allocate_within_limits(services: Services, turn: Turn,
                                 request: NewAddressRequest) -> Allocation | OverLimit:
    if services.limiter is None:
        return await services.allocator.allocate(request, turn.owner, turn.person)
    exempt = await services.access.acts_as_admin(turn.person, turn.owner)
    return await services.limiter.allocate(services.allocator, request, turn.owner, turn.person, exempt)


async def over_limit(services: Services, turn: Turn, over: OverLimit) -> Card:
    """The refusal card, on record; the admin conversation hears of each person or conversation once a day."""
    await audit_refusal(services.store, services.clock, turn.person, "new", "", over.reason)
    day = services.clock().date().isoformat()
    admin = services.admin_conversation and await services.store.get_conversation(services.admin_conversation)
    if admin and await services.store.add_flag(f"limit:{over.scope}:{over.who}:{day}", over.kind):
        who = f"{turn.person.name or 'Someone'} ({turn.person.aad_object_id or turn.person.id})"
        await _tell(services, admin, cards.notice_card(
            "Allocation limit reached", f"{who} reached RootMail's {over.kind} limit of {over.limit} for this "
            f"{over.scope} in {owner_name(turn.owner)}; further requests are refused. Told once a day.",
            [("Person", who), ("Conversation", owner_name(turn.owner)), ("Limit", f"{over.scope} {over.kind} "
                                                                               f"{over.limit}")], "warning"),
            "Allocation limit reached")
    return refusal_card("You cannot ask for more addresses now", over.reason)


async def reveal(services: Services, turn: Turn) -> Answer:
    """Reveal answers the presser alone, in words: sent, or why not. A refusal shows nothing of the mail (its
    subject, sender, preview or who revealed it); the card itself stays as it is, and RootMail edits it for everyone
    when a reveal went through."""
    if services.revealer is None:
        return Answer(message="Reveal is not set up: an admin needs to configure RootMail's secret key.",
                      refusal=True)
    outcome = await services.revealer.reveal(str(turn.data.get("mail") or ""), turn.person, turn.owner)
    return Answer(message=outcome.message, refusal=not outcome.sent)


async def audit(services: Services, turn: Turn) -> Card | Answer:
    address = _first_word(turn, "address")
    if not address:
        return cards.usage_card("Audit needs an address", "Give the address whose history you want to read.",
                                "audit aws-0001@example.com")
    record = await registry.require(services.store, address)
    if not await services.access.may_view(turn.person, turn.owner, record):
        return await refused(services, turn, "audit", record.address, "Not your address",
                             "Only the channel that owns this address, or a RootMail admin, may read its audit.")
    events = await services.store.audit_for(record.address, AUDIT_ROWS + 1)
    return audit_card(record.address, events[:AUDIT_ROWS], len(events) > AUDIT_ROWS,
                      await _names(services, events[:AUDIT_ROWS]))


async def _names(services: Services, events: list) -> dict[str, str]:
    """Names for the people and conversations the events mention: remembered people, known conversations."""
    names: dict[str, str] = {}
    for actor in {e.actor for e in events}:
        if services.people is not None and (name := await services.people.name(actor)):
            names[actor] = name
    for conversation in {str(e.detail.get("to")) for e in events if e.detail.get("to")}:
        if known := await services.store.get_conversation(conversation):
            names[conversation] = owner_name(known)
    return names


async def transfer(services: Services, turn: Turn) -> Card | Answer:
    address = _first_word(turn, "address")
    if not address:
        return cards.usage_card("Transfer needs an address", "Run it in the channel that should own the address.",
                                "transfer aws-0001@example.com")
    record = await registry.require(services.store, address)
    here = owner_name(turn.owner)
    if record.owner.conversation_id == turn.owner.conversation_id:
        return cards.notice_card("Already yours", f"{record.address} already belongs to {place(turn.owner, turn.owner)}.")
    if refusal := await request_refusal(services, turn):
        return refusal
    actor = turn.person.aad_object_id or turn.person.id
    if await services.access.is_admin(turn.person):
        moved = await transfers.move(services.store, services.clock, record.address, turn.owner, actor)
        await _tell(services, record.owner, cards.notice_card(
            "Address transferred", f"{turn.person.name or 'A RootMail admin'} moved {moved.address} to {here}. "
            "Its mail and codes now go there.", [("Address", moved.address)], "warning"), "Address transferred")
        return cards.notice_card("Address transferred", f"{moved.address} now belongs to {here}; its mail and "
                                 "codes come here.", [("Address", moved.address)], "good")
    asked = await transfers.request(services.store, services.clock, record, turn.owner, here, turn.person,
                                    services.new_request_id(), turn.thread)
    by = turn.person.name or "Someone"
    posted = await _tell(services, record.owner, transfer_request_card(record, here, by, asked.id),
                         f"Transfer of {record.address} requested")
    if posted is None:
        return cards.error_card("Could not ask the owning channel",
                                "RootMail could not post the request there. Ask a RootMail admin to run the transfer.")
    if posted and services.updates is not None:
        await services.updates.remember(record.address, record.owner.conversation_id, posted,
                                        {"view": TRANSFER, "address": record.address, "request": asked.id,
                                         "in": record.owner.conversation_id})
    return cards.notice_card("Transfer requested", f"RootMail asked {owner_name(record.owner)} to approve moving "
                             f"{record.address} here. Anyone there, or a RootMail admin, may approve it. The "
                             "answer comes in this thread.", [("Address", record.address)])


async def transfer_approve(services: Services, turn: Turn) -> Card | Answer:
    return await _decide(services, turn, approve=True)


async def transfer_decline(services: Services, turn: Turn) -> Card | Answer:
    return await _decide(services, turn, approve=False)


async def _decide(services: Services, turn: Turn, approve: bool) -> Card | Answer:
    """The request card becomes the decision, for everyone; the asking channel hears it in the thread it asked in."""
    address, request_id = str(turn.data.get("address") or ""), str(turn.data.get("request") or "")
    try:
        asked, record = await transfers.decide(services.store, services.clock, services.access, address,
                                               request_id, approve, turn.person, turn.owner)
    except Forbidden as no:  # audited where it was decided
        return Answer(refusal_card("You cannot decide this transfer", str(no)),
                      message=f"You cannot decide this transfer. {no}", refusal=True)
    requester = await services.store.get_conversation(asked.to)
    who = turn.person.name or "The owning channel"
    if requester:
        thread = _thread(requester, asked.thread)
        told = (cards.notice_card("Transfer approved", f"{who} approved it: {record.address} now belongs here; its "
                                  "mail and codes come here.", [("Address", record.address)], "good") if approve else
                cards.notice_card("Transfer declined", f"{who} declined moving {record.address} here.",
                                  [("Address", record.address)], "warning"))
        await _tell(services, thread, told, f"Transfer {'approved' if approve else 'declined'}")
    decided = {"approved": approve, "by": who[:80], "to": asked.to_name, "at": services.clock().isoformat()}
    view = {"view": TRANSFER, "address": record.address, "request": asked.id, "in": turn.owner.conversation_id,
            "decided": decided}
    return Answer(transfer_decided_card(record.address, asked.to_name, approve, who, services.clock()), track=view)


def _thread(conversation: Owner, thread: str) -> Owner:
    """The conversation, addressed to the thread a request was asked in (a channel's reply chain)."""
    if not thread or thread.split(";messageid=")[0] != conversation.conversation_id or not conversation.reference:
        return conversation
    reference = {**conversation.reference, "conversation": {**(conversation.reference.get("conversation") or {}),
                                                           "id": thread}}
    return replace(conversation, reference=reference)


async def _tell(services: Services, where: Owner, card: Card, summary: str) -> str | None:
    """Post a card RootMail starts itself; its activity id ("" when Teams gave none), None when it failed."""
    if services.poster is None:
        return None
    try:
        return await services.poster.post(where, card, summary)
    except PostFailed as failure:
        logger.warning("could not notify a conversation", extra={"reason": failure.reason})
        return None


COMMANDS: dict[str, Callable[[Services, Turn], Awaitable[Card | Answer]]] = {"audit": audit, "transfer": transfer}
ACTIONS: dict[str, Callable[[Services, Turn], Awaitable[Card | Answer]]] = {
    "reveal": reveal, "audit": audit, "transfer.approve": transfer_approve, "transfer.decline": transfer_decline,
}
