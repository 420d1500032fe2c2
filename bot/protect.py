"""Handlers of root mail protection: reveal, transfer, audit, and the refusals every other handler may give."""
from __future__ import annotations

import logging
import shlex
from typing import Any, Awaitable, Callable

import cards
from bot.services import Services
from bot.turn import Turn
from cards.address import owner_name
from cards.digest import DigestItem, digest_card
from cards.protection import audit_card, refusal_card, transfer_request_card, with_banner
from core.addresses import registry
from core.addresses import transfer as transfers
from core.addresses.access import audit_refusal
from core.addresses.allocation import Allocation
from core.addresses.limits import OverLimit
from core.addresses.rules import NewAddressRequest
from core.delivery.courier import digest_members
from core.errors import Forbidden
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


async def tenant_refusal(services: Services, turn: Turn) -> Card | None:
    """Activities from tenants that are not allowed get this card, and nothing else happens."""
    if services.access.tenant_allowed(turn.owner.tenant_id):
        return None
    reason = "RootMail is not available to your organisation."
    await audit_refusal(services.store, services.clock, turn.person, "use", f"tenant:{turn.owner.tenant_id}", reason)
    return refusal_card("RootMail is not available here", reason)


async def request_refusal(services: Services, turn: Turn) -> Card | None:
    decision = await services.access.may_request(turn.person)
    if decision:
        return None
    await audit_refusal(services.store, services.clock, turn.person, "new", "", decision.reason)
    return refusal_card("You cannot ask for new addresses", decision.reason)


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


async def reveal(services: Services, turn: Turn) -> Card:
    if services.revealer is None:
        return cards.error_card("Reveal is not set up", "An admin needs to configure RootMail's secret key.")
    outcome = await services.revealer.reveal(str(turn.data.get("mail") or ""), turn.person, turn.owner)
    if outcome.mail is None:
        return cards.error_card("Nothing to reveal", outcome.message)
    if turn.data.get("digest") and outcome.mail.digest:  # pressed on a digest: answer with that digest again
        members = await digest_members(services.store, outcome.mail.digest)
        if members:
            return with_banner(digest_card([DigestItem(*member) for member in members])[0], outcome.message,
                               outcome.sent)
    mail_card = cards.mail_card(outcome.mail, outcome.record, outcome.reveals)
    return with_banner(mail_card, outcome.message, outcome.sent)


async def audit(services: Services, turn: Turn) -> Card:
    address = _first_word(turn, "address")
    if not address:
        return cards.error_card("Audit needs an address", "Example: `audit aws-0001@example.com`.")
    record = await registry.require(services.store, address)
    if not await services.access.may_view(turn.person, turn.owner, record):
        reason = "Only the channel that owns this address, or a RootMail admin, may read its audit."
        await audit_refusal(services.store, services.clock, turn.person, "audit", record.address, reason)
        return refusal_card("Not your address", reason)
    events = await services.store.audit_for(record.address, AUDIT_ROWS + 1)
    return audit_card(record.address, events[:AUDIT_ROWS], len(events) > AUDIT_ROWS)


async def transfer(services: Services, turn: Turn) -> Card:
    address = _first_word(turn, "address")
    if not address:
        return cards.error_card("Transfer needs an address",
                                "Run `transfer aws-0001@example.com` in the channel that should own it.")
    record = await registry.require(services.store, address)
    here = owner_name(turn.owner)
    if record.owner.conversation_id == turn.owner.conversation_id:
        return cards.notice_card("Already yours", f"{record.address} already belongs to {here}.")
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
                                    services.new_request_id())
    by = turn.person.name or "Someone"
    if not await _tell(services, record.owner, transfer_request_card(record, here, by, asked.id),
                       f"Transfer of {record.address} requested"):
        return cards.error_card("Could not ask the owning channel",
                                "RootMail could not post the request there. Ask a RootMail admin to run the transfer.")
    return cards.notice_card("Transfer requested", f"RootMail asked {owner_name(record.owner)} to approve moving "
                             f"{record.address} here. Anyone there, or a RootMail admin, may approve it.",
                             [("Address", record.address)])


async def transfer_approve(services: Services, turn: Turn) -> Card:
    return await _decide(services, turn, approve=True)


async def transfer_decline(services: Services, turn: Turn) -> Card:
    return await _decide(services, turn, approve=False)


async def _decide(services: Services, turn: Turn, approve: bool) -> Card:
    address, request_id = str(turn.data.get("address") or ""), str(turn.data.get("request") or "")
    try:
        asked, record = await transfers.decide(services.store, services.clock, services.access, address,
                                               request_id, approve, turn.person, turn.owner)
    except Forbidden as refused:
        return refusal_card("You cannot decide this transfer", str(refused))
    requester = await services.store.get_conversation(asked.to)
    who = turn.person.name or "The owning channel"
    if approve:
        if requester:
            await _tell(services, requester, cards.notice_card(
                "Transfer approved", f"{who} approved it: {record.address} now belongs here; its mail and codes "
                "come here.", [("Address", record.address)], "good"), "Transfer approved")
        return cards.notice_card("Transfer approved", f"{record.address} now belongs to {asked.to_name}.",
                                 [("Address", record.address)], "good")
    if requester:
        await _tell(services, requester, cards.notice_card(
            "Transfer declined", f"{who} declined moving {record.address} here.", [("Address", record.address)],
            "warning"), "Transfer declined")
    return cards.notice_card("Transfer declined", f"{record.address} stays here.", [("Address", record.address)])


async def _tell(services: Services, where, card: Card, summary: str) -> bool:
    if services.poster is None:
        return False
    try:
        await services.poster.post(where, card, summary)
    except PostFailed as failure:
        logger.warning("could not notify a conversation", extra={"reason": failure.reason})
        return False
    return True


COMMANDS: dict[str, Callable[[Services, Turn], Awaitable[Card]]] = {"audit": audit, "transfer": transfer}
ACTIONS: dict[str, Callable[[Services, Turn], Awaitable[Card]]] = {
    "reveal": reveal, "audit": audit, "transfer.approve": transfer_approve, "transfer.decline": transfer_decline,
}
