"""Command and card-action routing: a Turn in, a card (or an Answer) out. Routing is the tables at the bottom."""
from __future__ import annotations

import asyncio
import difflib
import logging
from dataclasses import replace
from typing import Any, Awaitable, Callable

import cards
from bot import adopt, commands, protect, root
from bot.org_sync import sync
from bot.services import Services
from bot.turn import Answer, Turn
from cards.elements import REFRESH
from cards.mail import FULL, full_mail_card
from cards.pool import pool_status_card
from cards.status import status_card
from core.addresses.inventory import pool_status
from core.intake.inspection import secret_context
from core.readiness import OK, STARTING

logger = logging.getLogger(__name__)

Card = dict[str, Any]
Handler = Callable[[Services, Turn], Awaitable[Card | Answer]]
CLOSE_ENOUGH = 0.7  # difflib ratio for "did you mean": lokup, lsit, retier, trasnfer
POOL_WAIT = 8.0  # seconds `pool` waits for Exchange before answering with RootMail's last figures


async def pool(services: Services, turn: Turn) -> Card:
    """Admins only: each shared mailbox's fill level, after reading its aliases from Exchange again."""
    if not services.is_admin_conversation(turn.owner.conversation_id):
        return cards.error_card("Only admins can see the pool", "Run pool in RootMail's admin conversation.")
    problems: dict[str, str] | None = {}
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


async def run(services: Services, turn: Turn) -> Card | Answer:
    """A "did you mean" button: the corrected command, as if typed."""
    return await run_command(services, replace(turn, text=str(turn.data.get("text") or "")[:500], data={}))


async def refresh(services: Services, turn: Turn) -> Card | Answer:
    """Teams asks for a card's current state for one person (Universal Actions' refresh), or someone pressed
    Refresh: the card as that person may see it now."""
    card = await services.views.render(turn.data, turn.owner, turn.person) if services.views else None
    if card is None:
        return Answer(message="RootMail has nothing newer to show on this card.")
    return card


async def full_mail(services: Services, turn: Turn) -> Card | Answer:
    """The redacted text of a mail, for the conversation it was posted in (and admins)."""
    mail = await services.store.get_mail(str(turn.data.get("mail") or ""))
    if mail is None:
        return Answer(message="RootMail no longer has this mail.")
    record = await services.store.get_address(mail.address)
    owner = record.owner.conversation_id if record else ""
    if turn.owner.conversation_id not in (mail.posted_to, owner) and not await services.access.acts_as_admin(
            turn.person, turn.owner):
        return await protect.refused(services, turn, "full mail", mail.address, "Not your mail",
                                     "This mail belongs to another conversation; only it, or a RootMail admin, can "
                                     "read it in full.")
    return Answer(full_mail_card(mail, _unsealed_removed(services, mail.key, mail.secret, mail.text)), beside=True)


def _unsealed_removed(services: Services, key: str, sealed: str, body: str) -> str:
    """A last guard: the text was redacted at arrival; should the sealed code still appear in it, it goes."""
    box = services.revealer.box if services.revealer else None
    if not (sealed and box and body):
        return body
    try:
        secret = box.open(sealed, secret_context(key))
    except Exception:  # an unreadable secret cannot be in the text either way
        return body
    if secret and secret in body:
        logger.warning("a sealed secret was found in a mail's kept text; removed before showing it",
                       extra={"mail_key": key})
        return body.replace(secret, "[hidden]")
    return body


COMMANDS: dict[str, Handler] = {
    "new": commands.new_form, "lookup": commands.lookup, "find": commands.lookup, "list": commands.list_owned,
    "link": commands.link, "retire": commands.retire, "help": help_, "?": help_, "pool": pool, "sync": sync,
    "status": status,
}
ACTIONS: dict[str, Handler] = {
    "new.form": commands.new_form, "new.submit": commands.new_submit, "lookup": commands.lookup,
    "list": commands.list_owned, "list.page": commands.list_owned, "link": commands.link, "retire": commands.retire,
    "help": help_, "run": run, REFRESH: refresh, FULL: full_mail,
}
COMMANDS.update(protect.COMMANDS)
ACTIONS.update(protect.ACTIONS)
COMMANDS.update(adopt.COMMANDS)
ACTIONS.update(adopt.ACTIONS)
root.extend(COMMANDS, ACTIONS)
SUGGESTED = ("new", "lookup", "list", "link", "retire", "transfer", "audit", "help")  # what "did you mean" offers


async def run_command(services: Services, turn: Turn) -> Card | Answer:
    if refusal := await protect.tenant_refusal(services, turn):
        return refusal
    verb, _, rest = turn.text.partition(" ")
    handler = COMMANDS.get(verb.lower())
    if handler is None:
        if not turn.text:
            return cards.welcome_card()
        close = difflib.get_close_matches(verb.lower(), SUGGESTED, n=1, cutoff=CLOSE_ENOUGH)
        return cards.unknown_card(turn.text, f"{close[0]} {rest}".strip() if close else "")
    return await handler(services, replace(turn, text=rest.strip(), data={}))


async def run_action(services: Services, turn: Turn, verb: str) -> Card | Answer:
    if refusal := await protect.tenant_refusal(services, turn):
        return refusal
    handler = ACTIONS.get(verb)
    if handler is None:
        return Answer(cards.error_card("That button is out of date", "Type help to see what RootMail can do."),
                      message="That button is out of date. Type help to see what RootMail can do.", refusal=True)
    return await handler(services, turn)
