"""Small Adaptive Card element builders; every text that reaches a TextBlock or Fact is escaped here."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable

from cards import text as t

Element = dict[str, Any]

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"  # the highest version Teams renders; Action.Execute needs it
# Teams refuses cards over about 28 KB. Lists stop adding rows at this size, measured as the bot sends it.
BUDGET = 24_000
CONTAINER_STYLES = ("default", "emphasis", "good", "attention", "warning", "accent")
REFRESH = "refresh"  # the verb of every card's refresh action (bot.views renders the card again)


def card(body: list[Element], actions: list[Element] | None = None) -> Element:
    result: Element = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        result["actions"] = actions
    return result


def size(element: Element) -> int:
    """Bytes on the wire: the Bot Framework client sends JSON with non-ASCII characters escaped."""
    return len(json.dumps(element))


def text(value: object, limit: int = t.MESSAGE, *, multiline: bool = False, **props: Any) -> Element:
    """A wrapping TextBlock showing `value` literally."""
    return _block(t.md(value, limit, multiline=multiline), props)


def _block(markdown: str, props: dict[str, Any]) -> Element:
    # An empty TextBlock is dropped by Teams and breaks the layout around it: show a dash instead.
    return {"type": "TextBlock", "text": markdown or "\u2014", "wrap": True, **props}


def heading(value: object, limit: int = t.TITLE, **props: Any) -> Element:
    return text(value, limit, size="Medium", weight="Bolder", **props)


def note(value: object, limit: int = t.MESSAGE, **props: Any) -> Element:
    return text(value, limit, isSubtle=True, size="Small", **props)


def problem(value: object, limit: int = t.ERROR, **props: Any) -> Element:
    return text(value, limit, color="Attention", size="Small", **props)


def address_block(address: str) -> Element:
    """The address big and in a monospace font, on its own so it is easy to select and copy."""
    return container([text(address, t.ADDRESS, size="Large", weight="Bolder", fontType="Monospace")],
                     style="emphasis")


def line(*parts: tuple[object, int] | datetime, sep: str = " ", **props: Any) -> Element:
    """One TextBlock from several parts: `(value, limit)` pairs, each escaped and cut to its own limit,
    and datetimes, shown with Teams' DATE/TIME functions in the reader's time zone. Empty parts are skipped."""
    rendered = (when(part) if isinstance(part, datetime) else t.md(*part) for part in parts)
    return _block(sep.join(piece for piece in rendered if piece), props)


def when(moment: datetime) -> str:
    """`{{DATE(...)}} {{TIME(...)}}` for a moment RootMail recorded; never built from user text."""
    utc = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    iso = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({iso}, SHORT)}}}} {{{{TIME({iso})}}}}"


def facts(rows: Iterable[tuple[object, object] | tuple[object, object, int]]) -> Element:
    """A FactSet from `(title, value)` or `(title, value, limit)` rows; values default to FACT_VALUE characters."""
    return {"type": "FactSet", "facts": [_fact(*row) for row in rows]}


def _fact(title: object, value: object, limit: int = t.FACT_VALUE) -> Element:
    return {"title": t.md(title, t.FACT_TITLE) or "\u2014", "value": t.md(value, limit) or "\u2014"}


def container(items: list[Element], *, style: str | None = None, **props: Any) -> Element:
    result: Element = {"type": "Container", "items": items, **props}
    if style:
        result["style"] = style if style in CONTAINER_STYLES else "default"
    return result


def execute(title: str, verb: str, data: dict[str, Any] | None = None, **props: Any) -> Element:
    """A button the bot receives as an adaptiveCard/action invoke; `data.rootmail` repeats the verb."""
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": {"rootmail": verb, **(data or {})},
            **props}


def refreshable(card_: Element, view: dict[str, Any]) -> Element:
    """The card with Universal Actions' refresh: when someone listed in `userIds` looks at it, Teams asks RootMail
    for its current state and that person's own buttons (an adaptiveCard/action invoke with the action below). The
    Teams edge fills `userIds`; an empty list means "refresh only on request" (msteams-docs task-modules-and-cards/
    cards/Universal-actions-for-adaptive-cards/Work-with-Universal-Actions-for-Adaptive-Cards.md, "User IDs in
    refresh")."""
    return {**card_, "refresh": {"action": execute("Refresh", REFRESH, view), "userIds": []}}


def open_url(title: str, url: str) -> Element:
    """A button that opens a fixed page RootMail knows; never a URL taken from a mail."""
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def show_card(title: str, body: list[Element], actions: list[Element]) -> Element:
    return {"type": "Action.ShowCard", "title": title,
            "card": {"type": "AdaptiveCard", "body": body, "actions": actions}}


def fit(items: list[Element], budget: int) -> tuple[list[Element], int]:
    """As many leading items as fit in `budget` bytes, and how many were left out."""
    kept: list[Element] = []
    used = 0
    for item in items:
        used += size(item) + len(", ")
        if used > budget:
            break
        kept.append(item)
    return kept, len(items) - len(kept)


def fill_sections(body: list[Element], sections: list[list[Element]], full: str) -> list[Element]:
    """Append each non-empty section while the card has room; the first that does not fit whole ends the card
    with the `full` note (what to do to see the rest)."""
    for section in sections:
        if not section:
            continue
        kept, left_out = fit(section, BUDGET - size(card(body)) - 200)
        body += kept
        if left_out:
            body.append(note(full))
            break
    return body
