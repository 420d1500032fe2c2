"""Making hostile text (user input, mail) safe to show in a card: one place, used by every builder."""
from __future__ import annotations

import json
import re
import unicodedata

ELLIPSIS = "\u2026"

# Per-field limits, in characters of the text that goes into the card (escapes included).
ADDRESS = 100
MAILBOX = 100
ACCOUNT_NAME = 60
ACCOUNT_ID = 20
ENVIRONMENT = 40
PURPOSE = 500
PERSON = 80
SENDER = 120
SUBJECT = 200
PREVIEW = 400
TITLE = 120
MESSAGE = 600
ERROR = 100
FACT_TITLE = 40
FACT_VALUE = 200
QUOTE = 80
STATE = 20
DATA = 254  # bytes of action data echoed back to the bot: the longest e-mail address SMTP allows

_WINDOW = 4  # characters of input looked at per character of output
_MARKS_IN_A_ROW = 4  # more stacked combining marks than any script needs ("zalgo" text)
# Characters that render as nothing but are letters or marks, so the category test misses them.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")
_NEWLINES = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})  # controls, format (zero-width, bidi), lone surrogates

# Backslash-escaped wherever they appear: emphasis, links and images, HTML and autolinks, entities,
# code, strikethrough and the {{DATE()}} text functions. Parentheses too, so that even a renderer
# that ignores backslashes never sees "](" and builds a link.
_ALWAYS_ESCAPED = frozenset("\\`*_{}[]()<&~")
# Special only at the start of a line: headings, quotes, bullets, numbered lists.
# ("1)" needs nothing more: the parenthesis is always escaped.)
_LINE_START = re.compile(r"^(?:[#>+-]|\d+\.)", re.MULTILINE)


def clean(value: object, limit: int, *, multiline: bool = False, ellipsis: bool = True) -> str:
    """Text without control, zero-width or bidi characters, whitespace collapsed, `{{` broken up,
    at most `limit` characters. For places that show text without Markdown (input values, choices)."""
    text, more = _visible(value, limit, multiline)
    return _truncate(_neutralise_functions(text), limit, ellipsis, more)


def md(value: object, limit: int, *, multiline: bool = False) -> str:
    """Text for a TextBlock or Fact: cleaned as by `clean`, then every character the Teams Markdown
    subset or the text functions react to is backslash-escaped, so it renders literally. At most
    `limit` characters, escapes and ellipsis included."""
    text, more = _visible(value, limit, multiline)
    return _truncate_escaped(_escape(text), limit, more)


def token(value: object, limit: int = DATA) -> str:
    """A value that goes back to the bot in action data: never shown, only kept within `limit` bytes of JSON
    (one emoji takes 12), so hostile data cannot swell the card."""
    text = "" if value is None else str(value)
    used = 0
    for index, char in enumerate(text):
        used += 1 if " " <= char < "\x7f" else len(json.dumps(char)) - 2
        if used > limit:
            return text[:index]
    return text


def quoted(value: object, limit: int = QUOTE) -> str:
    """`value` cleaned, cut short and put in typographic quotes, for "nothing found for “…”" lines."""
    return f"\u201c{clean(value, limit)}\u201d"


def _visible(value: object, limit: int, multiline: bool) -> tuple[str, bool]:
    """The visible text, and whether the input went on beyond what was looked at. Only the start of a long
    input is looked at, so a megabyte of mail costs no more than a line."""
    raw = "" if value is None else str(value)
    window = raw[: _WINDOW * limit]
    text = unicodedata.normalize("NFC", window)
    kept: list[str] = []
    marks = 0
    for char in text:
        if char in _NEWLINES:
            kept.append("\n")
            continue
        if char == "\t":
            kept.append(" ")
            continue
        category = unicodedata.category(char)
        if category in _DROPPED_CATEGORIES or char in _INVISIBLE:
            continue
        marks = marks + 1 if category in ("Mn", "Me") else 0
        if marks <= _MARKS_IN_A_ROW:
            kept.append(char)
    visible = _paragraphs("".join(kept)) if multiline else " ".join("".join(kept).split())
    return visible, len(window) < len(raw)


def _paragraphs(text: str) -> str:
    """Lines of a paragraph joined by spaces, paragraphs by one blank line: renders the same in every
    client, whatever each does with a single newline."""
    paragraphs, current = [], []
    for line in text.split("\n"):
        words = line.split()
        if words:
            current.append(" ".join(words))
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _neutralise_functions(text: str) -> str:
    return re.sub(r"\{(?=\{)", "{ ", text)


def _escape(text: str) -> str:
    escaped = "".join("\\" + char if char in _ALWAYS_ESCAPED else char for char in text)
    return _LINE_START.sub(_escape_marker, escaped)


def _escape_marker(match: re.Match) -> str:
    """`#` becomes `\\#`, `12.` becomes `12\\.`."""
    marker = match[0]
    return f"{marker[:-1]}\\{marker[-1]}"


def _truncate(text: str, limit: int, ellipsis: bool, more: bool) -> str:
    if len(text) <= limit and not more:
        return text
    if not ellipsis:
        return text[:limit]
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def _truncate_escaped(text: str, limit: int, more: bool) -> str:
    if len(text) <= limit and not more:
        return text
    cut = text[: max(limit - 1, 0)]
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:  # the cut split an escape: drop its lone backslash
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS
