"""Command and card-action handlers: a Turn in, a card out. Routing is the two tables at the bottom."""
from __future__ import annotations

import asyncio
import logging
import shlex
from dataclasses import replace
from typing import Any, Awaitable, Callable

import cards
from bot.org_sync import sync
from bot import adopt, protect, root
from bot.services import Services
from bot.turn import Turn
from cards.pool import pool_status_card
from cards.status import status_card
from core.addresses import registry
from core.addresses.access import audit_refusal
from core.addresses.allocation import request_key
from core.addresses.limits import OverLimit
from core.errors import Forbidden, InvalidRequest
from core.addresses.inventory import pool_status
from core.model import RootAddress
from core.readiness import OK, STARTING
from core.addresses.rules import parse_new_address_request

logger = logging.getLogger(__name__)

Card = dict[str, Any]
Handler = Callable[[Services, Turn], Awaitable[Card]]
RECENT_MAILS = 5
POOL_WAIT = 8.0  # seconds `pool` waits for Exchange before answering with RootMail's last figures


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _actor(turn: Turn) -> str:
    return turn.person.aad_object_id or turn.person.id


async def new_form(services: Services, turn: Turn) -> Card:
    if refusal := await protect.request_refusal(services, turn) or await protect.limit_refusal(services, turn):
        return refusal
    return cards.new_form(services.new_request_id(), environments=services.environments)


async def new_submit(services: Services, turn: Turn) -> Card:
    if refusal := await protect.request_refusal(services, turn):
        return refusal
    try:
        request = parse_new_address_request(turn.data, services.environments)
        request = replace(request, request_id=request_key("form", turn.owner.conversation_id, request.request_id))
        allocation = await protect.allocate_within_limits(services, turn, request)
    except InvalidRequest as invalid:
        request_id = str(turn.data.get("request_id") or services.new_request_id())
        return cards.new_form(request_id, values=turn.data, errors=invalid.fields,
                              environments=services.environments)
    if isinstance(allocation, OverLimit):
        return await protect.over_limit(services, turn, allocation)
    if not allocation.created and allocation.record.owner.conversation_id != turn.owner.conversation_id:
        return _elsewhere(allocation.record)  # a replayed form whose address has moved on since
    return cards.allocation_result(allocation.record, allocation.created)


async def _may_see(services: Services, turn: Turn, record: RootAddress) -> bool:
    return (services.is_admin_conversation(turn.owner.conversation_id)
            or await services.access.may_view(turn.person, turn.owner, record))


def _elsewhere(record: RootAddress) -> Card:
    where = " / ".join(p for p in (record.owner.team_name, record.owner.name) if p) or "another conversation"
    return cards.notice_card("Owned by another channel",
                             "This address belongs to another team's channel, so its details and mail are only "
                             "shown there.", [("Address", record.address), ("Owner", where)])


async def _detail(services: Services, turn: Turn, record: RootAddress) -> Card:
    if not await _may_see(services, turn, record):
        return _elsewhere(record)
    return cards.lookup_card(record, await services.store.recent_mails(record.address, RECENT_MAILS))


async def lookup(services: Services, turn: Turn) -> Card:
    query = str(turn.data.get("query") or turn.text).strip()
    if not query:
        return cards.error_card("What should I look up?",
                                "Give an AWS account id, an address or part of an account name: `lookup 123456789012`.")
    found = await registry.lookup(services.store, query)
    if len(found) == 1:
        return await _detail(services, turn, found[0])
    visible = [r for r in found if await _may_see(services, turn, r)]
    return cards.lookup_results(query, visible)


async def list_owned(services: Services, turn: Turn) -> Card:
    continuation = turn.data.get("continuation") or None
    page_number = int(turn.data.get("page") or 1)
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


async def link(services: Services, turn: Turn) -> Card:
    words = _words(turn.text)
    address = str(turn.data.get("address") or (words[0] if words else ""))
    account_id = str(turn.data.get("account_id") or (words[1] if len(words) > 1 else ""))
    if not address or not account_id:
        return cards.error_card("Link needs an address and an account id",
                                "Example: `link aws-0001@example.com 123456789012`.")
    await _owned(services, turn, address, "link")
    try:
        record = await registry.link(services.store, services.clock, address, account_id, _actor(turn))
    except InvalidRequest as invalid:
        return cards.error_card("Could not link the account", " ".join(invalid.fields.values()))
    if turn.data:
        return await _detail(services, turn, record)
    return cards.notice_card("Account linked", f"{record.address} now belongs to AWS account {record.account_id}.",
                             [("Address", record.address), ("AWS account", record.account_id or "")], "good")


async def retire(services: Services, turn: Turn) -> Card:
    words = _words(turn.text)
    address = str(turn.data.get("address") or (words[0] if words else ""))
    if not address:
        return cards.error_card("Retire needs an address", "Example: `retire aws-0001@example.com`.")
    await _owned(services, turn, address, "retire")
    record = await registry.retire(services.store, services.clock, address, _actor(turn))
    if turn.data:
        return await _detail(services, turn, record)
    return cards.notice_card("Address retired",
                             f"{record.address} is retired. It is never given out again; mail to it is still "
                             "posted here, flagged as retired.", [("Address", record.address)], "warning")


async def pool(services: Services, turn: Turn) -> Card:
    """Admins only: each shared mailbox's fill level, after reading its aliases from Exchange again."""
    if not services.is_admin_conversation(turn.owner.conversation_id):
        return cards.error_card("Only admins can see the pool", "Run pool in RootMail's admin conversation.")
    problems: dict[str, str] = {}
    if services.exchange:
        try:  # read Exchange again (it also retries mailboxes it could not find), but never keep the turn waiting
            problems = await asyncio.wait_for(asyncio.shield(services.sync_pool()), POOL_WAIT) \
                if services.sync_pool else None
        except asyncio.TimeoutError:
            problems = None
        if problems is None:  # not open yet, or not answering: say what is down and since when
            return pool_status_card(await pool_status(services.store), down=await _exchange_down(services))
    return pool_status_card(await pool_status(services.store), problems, synced=services.exchange)


async def _exchange_down(services: Services) -> str:
    source = await services.part_state("mail_source") if services.part_state else None
    if source is None:
        return "Exchange Online could not be read. These are RootMail's last figures."
    since = source.since.strftime("%Y-%m-%d %H:%M UTC")
    state = {STARTING: "is still starting", OK: "did not answer in time"}.get(source.state, "cannot be read")
    return (f"{source.label} {state} since {since}{': ' + source.reason if source.reason else ''}. These are "
            "RootMail's last figures; the reading goes on in the background.")


async def status(services: Services, turn: Turn) -> Card:
    """Admins only: pool fill, mail backlog per state, this instance's lanes, the Graph source's last sync."""
    if not services.is_admin_conversation(turn.owner.conversation_id):
        return cards.error_card("Only admins can see the status", "Run status in RootMail's admin conversation.")
    if services.status is None:
        return cards.error_card("Status is not set up", "This RootMail was started without its forwarder.")
    return status_card(await services.status())


async def help_(services: Services, turn: Turn) -> Card:
    return cards.help_card()


COMMANDS: dict[str, Handler] = {
    "new": new_form, "lookup": lookup, "find": lookup, "list": list_owned, "link": link, "retire": retire,
    "help": help_, "?": help_, "pool": pool, "sync": sync, "status": status,
}

ACTIONS: dict[str, Handler] = {
    "new.form": new_form, "new.submit": new_submit, "lookup": lookup, "list.page": list_owned, "link": link,
    "retire": retire,
}
COMMANDS.update(protect.COMMANDS)
ACTIONS.update(protect.ACTIONS)
COMMANDS.update(adopt.COMMANDS)
ACTIONS.update(adopt.ACTIONS)
root.extend(COMMANDS, ACTIONS)


async def run_command(services: Services, turn: Turn) -> Card:
    if refusal := await protect.tenant_refusal(services, turn):
        return refusal
    verb, _, rest = turn.text.partition(" ")
    handler = COMMANDS.get(verb.lower())
    if handler is None:
        return cards.help_card(unknown=turn.text or None)
    return await handler(services, Turn(turn.owner, turn.person, turn.conversation_type, rest.strip(), {}))


async def run_action(services: Services, turn: Turn, verb: str) -> Card:
    if refusal := await protect.tenant_refusal(services, turn):
        return refusal
    handler = ACTIONS.get(verb)
    if handler is None:
        return cards.error_card("That button is out of date", "Type `help` to see what RootMail can do.")
    return await handler(services, turn)
