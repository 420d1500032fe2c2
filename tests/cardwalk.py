"""Reading a card the way a person reads it: its text, its inputs, its buttons."""
from __future__ import annotations

from typing import Any, Iterator


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def text(card: dict[str, Any]) -> str:
    """All the words on the card, Markdown escapes removed, one string."""
    parts: list[str] = []
    for node in walk(card):
        for key in ("text", "title", "value", "label", "placeholder"):
            if isinstance(node.get(key), str):
                parts.append(node[key])
    return "\n".join(parts).replace("\\", "")


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in walk(card) if str(n.get("type", "")).startswith("Input.") and "id" in n}


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in walk(card) if str(n.get("type", "")).startswith("Action.")]


def action(card: dict[str, Any], verb: str) -> dict[str, Any]:
    found = [a for a in actions(card) if a.get("verb") == verb]
    assert found, f"no button with verb {verb!r}; buttons: {[a.get('title') for a in actions(card)]}"
    return found[0]
