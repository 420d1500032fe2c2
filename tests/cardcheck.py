"""Checks Adaptive Cards as Teams sees them (official JS library, official 1.5 schema, Teams' limits) and reads them.

Any test can import it to check the cards it builds or the bot sends:

    from tests.cardcheck import actions, card_errors, texts, validate_cards
    assert validate_cards([card, other]) == [[], []]
    assert card_errors(card) == []
    assert "Account linked" in texts(card)
    assert [a["verb"] for a in actions(card)] == ["lookup"]

Validate many cards in one call: the JS library runs in one Node process per call.
"""
from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import jsonschema

ROOT = Path(__file__).resolve().parents[1]
NODE_SCRIPT = ROOT / "tests" / "tools" / "validate_cards.js"
NODE_TIMEOUT = 120
MAX_CARD_BYTES = 28_000  # Teams rejects bigger card messages
DRAFT_06 = "http://json-schema.org/draft-06/schema#"
TEAMS_VERSION = re.compile(r"1\.[0-5]")
MAX_MESSAGE = 300
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before ASCII punctuation


def validate_cards(cards: list[Any]) -> list[list[str]]:
    """One list of problems per card, empty when the card is valid; the same order as `cards`.

    Raises RuntimeError when a validator cannot run: a check that cannot run must not pass."""
    library = _library_errors(cards)
    return [[*(f"adaptivecards: {m}" for m in lib), *(f"schema: {m}" for m in _schema_errors(card)),
             *(f"teams: {m}" for m in _house_rules(card))]
            for card, lib in zip(cards, library, strict=True)]


def card_errors(card: Any) -> list[str]:
    return validate_cards([card])[0]


def texts(card: Any) -> list[str]:
    """What a reader sees, in card order: TextBlock text and Fact titles and values, Markdown escapes undone."""
    found = []
    for _, node in _walk(card, ()):
        if node.get("type") == "TextBlock":
            found.append(literal(node.get("text", "")))
        if node.get("type") == "FactSet":
            found += [literal(fact.get(part, "")) for fact in node.get("facts", []) for part in ("title", "value")]
    return found


def actions(card: Any) -> list[dict]:
    """Every action in card order: card actions, ActionSets, selectActions and those inside ShowCards."""
    return [node for _, node in _walk(card, ()) if str(node.get("type", "")).startswith("Action.")]


def literal(markdown: str) -> str:
    """Markdown text with its backslash escapes undone, as a CommonMark renderer shows it."""
    return _ESCAPE.sub(r"\1", markdown)


def _library_errors(cards: list[Any]) -> list[list[str]]:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed; it is needed to validate cards with the adaptivecards library")
    result = subprocess.run([node, str(NODE_SCRIPT)], input=json.dumps(cards), capture_output=True, text=True,
                            timeout=NODE_TIMEOUT, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{NODE_SCRIPT.name} failed ({result.returncode}): {result.stderr.strip()}")
    answer = json.loads(result.stdout)
    if not isinstance(answer, list) or len(answer) != len(cards):
        raise RuntimeError(f"{NODE_SCRIPT.name} answered {len(answer)} results for {len(cards)} cards")
    return answer


@functools.cache
def _schema_validator() -> jsonschema.Draft6Validator:
    path = resources.files("adaptive_cards") / "schemas" / "schema-1.5.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    if schema.get("$schema") != DRAFT_06:
        raise RuntimeError(f"schema-1.5.json now declares {schema.get('$schema')}; update {__name__}")
    jsonschema.Draft6Validator.check_schema(schema)
    return jsonschema.Draft6Validator(schema)


def _schema_errors(card: Any) -> list[str]:
    errors = []
    for error in _schema_validator().iter_errors(card):
        for cause in _causes(error):
            where = "/".join(str(step) for step in cause.absolute_path) or "(card)"
            errors.append(f"{where}: {_short(_message(cause))}")
    return errors


def _causes(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The errors that say what is wrong. The schema lists element types as `anyOf` branches, so a bad
    TextBlock fails every branch; follow only the branch for the element's own `type`."""
    if error.validator != "anyOf" or not error.context:
        return [error]
    branches: dict[Any, list[jsonschema.ValidationError]] = defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0]].append(sub)
    own = [subs for subs in branches.values() if not any(_other_type(sub) for sub in subs)]
    if not own:
        return [error]
    return [cause for subs in own for sub in subs for cause in _causes(sub)]


def _other_type(error: jsonschema.ValidationError) -> bool:
    """This branch is for another element type (or the element has no `type` at all)."""
    return ((error.validator == "enum" and list(error.relative_path) == ["type"])
            or (error.validator == "required" and "'type'" in error.message))


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "anyOf" and isinstance(error.instance, dict):
        return f"no element, action or card of type {error.instance.get('type')!r} matches the schema"
    return error.message


def _house_rules(card: Any) -> list[str]:
    """What Teams needs that neither validator checks."""
    if not isinstance(card, dict):
        return []
    errors = []
    version = card.get("version")
    if not isinstance(version, str) or not TEAMS_VERSION.fullmatch(version):
        errors.append(f"version: Teams needs a top-level version from 1.0 to 1.5, not {version!r}")
    size = len(json.dumps(card))
    if size > MAX_CARD_BYTES:
        errors.append(f"(card): {size} bytes; Teams refuses cards over about {MAX_CARD_BYTES}")
    for where, node in _walk(card, ()):
        kind = node.get("type")
        if kind == "TextBlock" and isinstance(node.get("text"), str) and not node["text"].strip():
            errors.append(f"{where}: empty TextBlock text (Teams drops the block)")
        if kind == "Action.Execute" and not node.get("verb"):
            errors.append(f"{where}: Action.Execute without a verb")
    return errors


def _walk(node: Any, path: tuple) -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        yield "/".join(map(str, path)) or "(card)", node
        children = node.items()
    elif isinstance(node, list):
        children = enumerate(node)
    else:
        return
    for key, child in children:
        yield from _walk(child, (*path, key))


def _short(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "\u2026"
