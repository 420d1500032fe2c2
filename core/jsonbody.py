"""JSON request bodies as every HTTP edge reads them (bot, API, Graph webhook): UTF-8 only, nesting bounded.

JSON exchanged between systems is UTF-8 (RFC 8259 section 8.1), so a body labelled with another charset is refused
rather than decoded with whatever codec the label names (an unknown one made the decoder raise LookupError: a 500).
Nesting is bounded twice: the parser's own recursion limit (100,000 brackets raised RecursionError: a 500) and a
depth far above anything Teams, Graph or a pipeline sends, so code walking the result never recurses that deep.
"""
from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # Teams activities and Adaptive Card data nest about 6 deep; Graph notifications 3


class NotJson(ValueError):
    """The body is not JSON at all (or not UTF-8 text); the message is safe to answer with."""


class BodyRefused(ValueError):
    """The body is JSON RootMail will not read: another charset, or nested too deeply; safe to answer with."""


def decode_json(raw: bytes, charset: str | None) -> Any:
    """The JSON value of a request body; NotJson or BodyRefused say why not."""
    if charset and charset.strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
        shown = "".join(c for c in charset[:40] if c.isascii() and c.isprintable())
        raise BodyRefused(f"JSON bodies are UTF-8; charset {shown!r} is not accepted.")
    try:
        value = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise BodyRefused(f"The JSON is nested more than {MAX_DEPTH} levels deep.") from None
    except (UnicodeDecodeError, ValueError):
        raise NotJson("The body is not valid JSON.") from None
    if too_deep(value, MAX_DEPTH):
        raise BodyRefused(f"The JSON is nested more than {MAX_DEPTH} levels deep.")
    return value


def too_deep(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
