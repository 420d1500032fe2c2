"""Reading a card the way a person reads it, on top of tests.cardcheck: its words, its inputs, its buttons."""
from __future__ import annotations

from typing import Any

from tests.cardcheck import _walk, actions, texts


def text(card: dict[str, Any]) -> str:
    """All the words a reader sees on the card, as one string."""
    return "\n".join(texts(card))


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for _, n in _walk(card, ()) if str(n.get("type", "")).startswith("Input.") and "id" in n}


def action(card: dict[str, Any], verb: str) -> dict[str, Any]:
    found = [a for a in actions(card) if a.get("verb") == verb]
    assert found, f"no button with verb {verb!r}; buttons: {[a.get('title') for a in actions(card)]}"
    return found[0]
