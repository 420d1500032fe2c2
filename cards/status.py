"""The admin status card (pool fill, backlog, lanes, the Graph source's last sync); the card for a part that is down."""
from __future__ import annotations

from datetime import datetime

from cards import text as t
from cards.elements import Element, card, container, facts, heading, line, text
from cards.messages import notice_card
from core.model import MailState
from core.delivery.status import Status
from core.readiness import STARTING, PartState

NOT_CONFIGURED = "not configured"


def status_card(status: Status) -> Element:
    body: list[Element] = [heading("RootMail status"), line(("As of", 10), status.at, isSubtle=True, size="Small",
                                                             spacing="None")]
    body.append(_section("Mail backlog", [
        ("Waiting to be posted", str(status.pending)),
        *[(state.value.capitalize(), str(status.mails.get(state.value, 0))) for state in MailState]],
        "warning" if status.mails.get(MailState.FAILED.value) else None))
    body.append(_lanes(status))
    body.append(_section("Alias pool", [_pool_row(s) for s in status.pool] or [("Mailboxes", "none in the pool")]))
    body.append(_section("Graph mail source", _graph_rows(status)))
    return card(body)


def _section(title: str, rows: list[tuple[str, str]], style: str | None = None) -> Element:
    return container([text(title, t.TITLE, weight="Bolder"), facts(rows)], style=style, separator=True)


def _lanes(status: Status) -> Element:
    lanes = status.lanes
    if lanes is None:
        return _section("Posting (this instance)", [("Lanes", NOT_CONFIGURED)])
    rows = [("Queued here", str(lanes.queued)), ("Posting now", str(lanes.in_flight)),
            ("Posts since start", f"{lanes.posts} ({lanes.digests} digests)")]
    rows += [(f"Backlog {i + 1}", f"{depth} for {conversation}") for i, (conversation, depth) in
             enumerate(lanes.busiest)]
    return _section("Posting (this instance)", rows)


def _pool_row(status) -> tuple[str, str]:
    if status.mailbox.strategy.value == "plus":
        return status.mailbox.address, "plus-addressing (no aliases to run out of)"
    used = round(100 * status.assigned / status.capacity) if status.capacity else 100
    return status.mailbox.address, f"{status.free} free, {status.assigned} assigned ({used}% used)"


def _graph_rows(status: Status) -> list[tuple[str, str]]:
    if not status.graph:
        return [("Last sync", NOT_CONFIGURED), ("Subscriptions", NOT_CONFIGURED)]
    rows = [(f"Synced {mailbox}", _when(at, "not yet")) for mailbox, at in sorted(status.synced.items())]
    rows += [(f"Subscription {mailbox}", _when(at, "unknown", "expires ")) for mailbox, at in
             sorted(status.subscriptions.items())]
    return rows or [("Last sync", "not yet"), ("Subscriptions", "none yet")]


def _when(at: datetime | None, missing: str, prefix: str = "") -> str:
    return prefix + at.strftime("%Y-%m-%d %H:%M UTC") if at else missing


def unavailable_card(part: PartState | None) -> Element:
    """What a command gets while a part it needs is down: which part, since when, and that nothing was changed."""
    if part is None:
        return notice_card("RootMail cannot reach its store", "Nothing was changed. Please try again in a minute.",
                           style="attention")
    since = part.since.strftime("%Y-%m-%d %H:%M UTC")
    doing = "is still starting" if part.state == STARTING else "cannot be reached"
    return notice_card(f"RootMail's store {doing}",
                       f"RootMail keeps its addresses in {part.label}, which {doing} since {since}. Nothing was "
                       "changed, and mail that arrives meanwhile is kept by its sender and delivered later. Commands "
                       "that do not need the store, such as help, still work; try again in a few minutes.",
                       [("Store", part.label), ("Since", since)], style="attention")
