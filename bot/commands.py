"""The address commands: new (form and submit), lookup, list, link and retire. A Turn in, a card or an Answer out."""
from __future__ import annotations

import shlex
from dataclasses import replace
from typing import Any

import cards
from bot import protect
from bot.services import Services
from bot.turn import Answer, Turn
from cards.address import RESULT, address_view, elsewhere_card, retire_question
from cards.elements import card, execute
from core.addresses import registry
from core.addresses.access import audit_refusal
from core.addresses.allocation import request_key
from core.addresses.limits import OverLimit
from core.addresses.rules import parse_new_address_request
from core.errors import Forbidden, InvalidRequest
from core.model import AddressState, RootAddress

Card = dict[str, Any]
RECENT_MAILS = 5
CONFIRM = "confirm"  # the view of the card that asks "Retire …?" before a typed retire


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _actor(turn: Turn) -> str:
    return turn.person.aad_object_id or turn.person.id


async def new_form(services: Services, turn: Turn) -> Card | Answer:
    if refusal := await protect.request_refusal(services, turn) or await protect.limit_refusal(services, turn):
        return refusal
    return cards.new_form(services.new_request_id(), environments=services.environments)


async def new_submit(services: Services, turn: Turn) -> Card | Answer:
    if refusal := await protect.request_refusal(services, turn):
        return refusal
    try:
        request = parse_new_address_request(turn.data, services.environments)
        # a form's request id names one conversation's request: another conversation replaying it is another request
        request = replace(request, request_id=request_key("form", turn.owner.conversation_id, request.request_id))
        allocation = await protect.allocate_within_limits(services, turn, request)
    except InvalidRequest as invalid:
        request_id = str(turn.data.get("request_id") or services.new_request_id())
        return cards.new_form(request_id, values=turn.data, errors=invalid.fields,
                              environments=services.environments)
    if isinstance(allocation, OverLimit):
        return await protect.over_limit(services, turn, allocation)
    record = allocation.record
    if not allocation.created and record.owner.conversation_id != turn.owner.conversation_id:
        return Answer(elsewhere_card(record, turn.owner))  # a replayed form whose address has moved on since
    return Answer(cards.allocation_result(record, allocation.created),
                  track={"view": RESULT, "address": record.address})


async def _may_see(services: Services, turn: Turn, record: RootAddress) -> bool:
    return (services.is_admin_conversation(turn.owner.conversation_id)
            or await services.access.may_view(turn.person, turn.owner, record))


async def detail(services: Services, turn: Turn, record: RootAddress) -> Answer:
    """The address card, remembered so RootMail keeps it current; another conversation learns only the owner."""
    if not await _may_see(services, turn, record):
        return Answer(elsewhere_card(record, turn.owner), track=address_view(record.address))
    may_change = bool(await services.access.may_change(turn.person, turn.owner, record))
    mails = await services.store.recent_mails(record.address, RECENT_MAILS)
    return Answer(cards.lookup_card(record, mails, may_change), track=address_view(record.address))


async def lookup(services: Services, turn: Turn) -> Card | Answer:
    query = str(turn.data.get("query") or turn.text).strip()
    if not query:
        return cards.usage_card("What should I look up?", "Give an AWS account id, an address, or part of an "
                                "account name.", "lookup 123456789012")
    found = await registry.lookup(services.store, query)
    if len(found) == 1:
        return await detail(services, turn, found[0])
    visible = [r for r in found if await _may_see(services, turn, r)]
    return cards.lookup_results(query, visible)


async def list_owned(services: Services, turn: Turn) -> Card:
    continuation = turn.data.get("continuation") or None
    try:
        page_number = max(int(turn.data.get("page") or 1), 1)
    except (TypeError, ValueError):
        page_number = 1
    page = await services.store.list_by_owner(turn.owner.conversation_id, services.page_size, continuation)
    title = f"Root addresses owned by {turn.owner.name or 'this conversation'}"
    return cards.list_card(title, page, page_number, services.page_size)


async def _owned(services: Services, turn: Turn, address: str, action: str) -> RootAddress:
    """The record, if this turn may change it (owning conversation or admin); else the refusal is audited."""
    record = await registry.require(services.store, address)
    if services.is_admin_conversation(turn.owner.conversation_id):
        return record
    decision = await services.access.may_change(turn.person, turn.owner, record)
    if not decision:
        await audit_refusal(services.store, services.clock, turn.person, action, record.address, decision.reason)
        raise Forbidden(decision.reason)
    return record


async def link(services: Services, turn: Turn) -> Card | Answer:
    words = _words(turn.text)
    address = str(turn.data.get("address") or (words[0] if words else ""))
    account_id = str(turn.data.get("account_id") or (words[1] if len(words) > 1 else ""))
    if not address or not account_id:
        return cards.usage_card("Link needs an address and an account id", "Give the address, then the 12-digit "
                                "id AWS gave the account that uses it.", "link aws-0001@example.com 123456789012")
    await _owned(services, turn, address, "link")
    try:
        record = await registry.link(services.store, services.clock, address, account_id, _actor(turn))
    except InvalidRequest as invalid:
        return cards.error_card("Could not link the account", " ".join(invalid.fields.values()))
    if turn.data.get("view"):  # pressed on the address's own card: that card shows the change
        return await detail(services, turn, record)
    return cards.notice_card("Account linked", f"{record.address} now belongs to AWS account {record.account_id}.",
                             [("Address", record.address), ("AWS account", record.account_id or "")], "good")


async def retire(services: Services, turn: Turn) -> Card | Answer:
    """Typed, it only asks; the Retire button (on the question or on the address card) retires."""
    words = _words(turn.text)
    address = str(turn.data.get("address") or (words[0] if words else ""))
    if not address:
        return cards.usage_card("Retire needs an address", "Give the address of the AWS account that was closed.",
                                "retire aws-0001@example.com")
    record = await _owned(services, turn, address, "retire")
    view = turn.data.get("view")
    if not view:
        if record.state is AddressState.RETIRED:
            return cards.notice_card("Already retired", f"{record.address} is retired already.")
        data = {**address_view(record.address), "view": CONFIRM}
        return card(retire_question(record.address), [execute("Retire", "retire", data, style="destructive")])
    record = await registry.retire(services.store, services.clock, address, _actor(turn))
    if view != CONFIRM:
        return await detail(services, turn, record)
    return cards.notice_card("Address retired",
                             f"{record.address} is retired. It is never given out again; mail to it is still "
                             "posted here, flagged as retired.", [("Address", record.address)], "warning")
