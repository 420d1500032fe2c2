"""Every card, with realistic and with hostile data, passes the adaptivecards library, the 1.5 schema and Teams' limits;
hostile text never turns into Markdown, links or text functions; and the checker itself rejects broken cards."""
from __future__ import annotations

import copy
import json
import re
import unicodedata
from dataclasses import replace

import pytest

import cards
from cards.address import elsewhere_card
from core.model import AddressState, Owner, Page, Person
from tests import cardcheck
from tests.unit.cards.test_cards import mail, record

SIZE_LIMIT = 25_000
TEN_KB = 10 * 1024


def _long(sample: str) -> str:
    return (sample * (TEN_KB // len(sample) + 1))[:TEN_KB]


MARKDOWN = ("**bold** _it_ [click](http://evil.example/x) ![i](http://evil.example/i.png) <b>html</b> "
            "<at>everyone</at> &amp; &#42; `code` ~~gone~~ <http://evil.example>")
BLOCKS = "# heading\n> quote\n- bullet\n+ plus\n1. first\n2) second\n---\n    indented code"
FUNCTIONS = "{{DATE(2030-01-01T00:00:00Z, LONG)}} {{TIME(2030-01-01T00:00:00Z)}} {{{{ ${expression}"
INVISIBLE = "admin\u202e\u2066gpj.exe\u2069\u200b\u200d\ufeff\u00ad\u2028x\x00\x07\x1b[31m\r\n\x0b\x85\u3164"
EMOJI = "\U0001f600\U0001f469\u200d\U0001f4bb\U0001f1e9\U0001f1ea"
ZALGO = "Z" + "\u0301\u0302\u0303" * 20
HOSTILE = {
    "mixed": "\n".join((BLOCKS, MARKDOWN, FUNCTIONS, INVISIBLE, EMOJI, ZALGO)),
    "empty": "",
    "markdown-10k": _long(MARKDOWN + " " + BLOCKS),
    "functions-10k": _long(FUNCTIONS),
    "emoji-10k": _long("\U0001f600"),  # 12 bytes of JSON each
    "rtl-10k": _long("\u202eevil\u202c \u05e9\u05dc\u05d5\u05dd "),
    "backslash-10k": _long("\\"),  # doubled by the escaper, doubled again by JSON
}


def every_card(h: str, environments: tuple[str, ...], **fields) -> dict[str, dict]:
    """Every builder in every variant, fed `h` wherever it takes text and `fields` for the records."""
    address = record(**fields)
    retired = replace(address, state=AddressState.RETIRED)
    received = mail(**({"address": h, "sender": h, "subject": h, "preview": h} if fields else {}))
    errors = {"account_name": h, "environment": h, "purpose": h, "account_id": h, "request_id": h, h: h}
    values = {"account_name": h, "environment": environments[0], "purpose": h, "account_id": h}
    return {
        "new_form": cards.new_form(h, environments=environments),
        "new_form_errors": cards.new_form(h, values, errors, environments),
        "allocation_created": cards.allocation_result(address, True),
        "allocation_again": cards.allocation_result(replace(address, account_id=None), False),
        "mail": cards.mail_card(received, address),
        "mail_retired": cards.mail_card(received, retired),
        "mail_unmapped": cards.mail_card(received, None),
        "mail_names_account": cards.mail_card(replace(received, account_id=h or "111122223333", duplicate_of="k0"),
                                              replace(address, account_id=None)),
        "mail_names_other_account": cards.mail_card(replace(received, account_id=h or "111122223333"), address),
        "lookup": cards.lookup_card(address, [received] * 7),
        "lookup_unlinked": cards.lookup_card(replace(address, account_id=None), []),
        "lookup_retired": cards.lookup_card(retired, [received]),
        "lookup_results": cards.lookup_results(h, [address, retired] * 8),
        "lookup_results_none": cards.lookup_results(h, []),
        "list": cards.list_card(h, Page([address, retired] * 5, h or "token"), 2, 10),
        "list_last": cards.list_card(h, Page([address] * 3), 1, 10),
        "list_empty": cards.list_card(h, Page([]), 1, 10),
        "help": cards.help_card(),
        "help_unknown": cards.help_card(h),
        "notice": cards.notice_card(h, h, [(h, h)] * 20, h),
        "notice_plain": cards.notice_card(h, h),
        "error": cards.error_card(h, h),
        "welcome": cards.welcome_card(),
        "unknown": cards.unknown_card(h),
        "unknown_suggested": cards.unknown_card(h, f"lookup {h}"),
        "usage": cards.usage_card(h, h, h),
        "elsewhere": elsewhere_card(address, Owner(h or "19:other", h, h, h, h)),
        "lookup_not_theirs": cards.lookup_card(address, [received], may_change=False),
        "pool_low": cards.pool_low_card(h, 3, 20),
        "pool_empty": cards.pool_low_card(h, 0, 20),
    }


def hostile_cards() -> dict[str, dict]:
    built = {}
    for name, h in HOSTILE.items():
        fields = dict(address=h, mailbox=h, account_name=h, environment=h, purpose=h, owner=Owner(h, h, h, h, h),
                      requester=Person(h, h, h), account_id=h or None, request_id=h)
        built.update({f"{card}[{name}]": value for card, value in every_card(h, (h or "x", "staging"),
                                                                             **fields).items()})
    return built


def _input(card: dict, input_id: str) -> dict:
    return next(element for element in card["body"] if element.get("id") == input_id)


def broken_cards() -> dict[str, tuple[dict, str]]:
    """Cards a checker must reject, each with a fragment of the error it must report."""
    form, help_card = cards.new_form("r1"), cards.help_card()
    no_text, unknown_type, too_new, newer_property, duplicate_id, unlabelled, no_verb, empty_text = (
        copy.deepcopy(card) for card in (help_card, form, cards.lookup_card(record(), []), form, form, form,
                                         help_card, help_card))
    del no_text["body"][1]["text"]
    _input(unknown_type, "environment")["type"] = "Input.Txt"
    too_new["version"] = "1.6"
    _input(newer_property, "account_name")["labelPosition"] = "inline"
    _input(duplicate_id, "purpose")["id"] = "account_name"
    del _input(unlabelled, "account_name")["label"]
    del no_verb["actions"][0]["verb"]
    empty_text["body"][0]["text"] = " "
    return {
        "TextBlock without text": (no_text, "'text' is a required property"),
        "unknown element type": (unknown_type, 'Unknown element type "Input.Txt"'),
        "version 1.6": (too_new, "UnsupportedCardVersion"),
        "property from 1.6": (newer_property, 'Property "labelPosition" is supported in version 1.6'),
        "duplicate input id": (duplicate_id, "DuplicateId"),
        "required input without label": (unlabelled, "RequiredInputsShouldHaveLabel"),
        "Action.Execute without verb": (no_verb, "Action.Execute without a verb"),
        "empty TextBlock": (empty_text, "empty TextBlock text"),
        "not a card": ({"type": "TextBlock", "text": "x"}, "MissingCardType"),
        "too big": (cards.notice_card("x", "y") | {"speak": "x" * 30_000}, "Teams refuses cards"),
    }


REALISTIC = every_card("payments", ("production", "staging", "development"))
HOSTILE_CARDS = hostile_cards()
ALL_CARDS = {**REALISTIC, **HOSTILE_CARDS}
BROKEN = broken_cards()


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[str]]:
    """One Node process validates every card of this module, the broken ones included."""
    named = {**ALL_CARDS, **{name: card for name, (card, _) in BROKEN.items()}}
    return dict(zip(named, cardcheck.validate_cards(list(named.values())), strict=True))


@pytest.mark.parametrize("name", ALL_CARDS)
def test_card_is_valid_for_teams(verdicts, name):
    assert verdicts[name] == []


@pytest.mark.parametrize("name", ALL_CARDS)
def test_card_stays_far_below_the_teams_size_limit(name):
    assert len(json.dumps(ALL_CARDS[name])) < SIZE_LIMIT
    assert len(json.dumps(ALL_CARDS[name], ensure_ascii=False).encode()) < SIZE_LIMIT


@pytest.mark.parametrize("name", BROKEN)
def test_checker_rejects_a_broken_card(verdicts, name):
    card, expected = BROKEN[name]
    assert any(expected in error for error in verdicts[name]), verdicts[name]


def test_checker_reports_what_each_validator_found(verdicts):
    errors = verdicts["unknown element type"]
    assert any(error.startswith("adaptivecards:") for error in errors)
    assert "schema: body/3: no element, action or card of type 'Input.Txt' matches the schema" in errors


def test_checker_refuses_to_pass_when_node_is_missing(monkeypatch):
    monkeypatch.setattr(cardcheck.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="node"):
        cardcheck.validate_cards([cards.help_card()])


# --- hostile text stays text -----------------------------------------------------------------------------------

OUR_TIMES = {"2025-11-21T09:30:05Z", "2025-11-18T09:30:05Z"}
TEXT_FUNCTION = re.compile(r"\{\{(?:DATE\((\S+), SHORT\)|TIME\((\S+)\))\}\}")
ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")
MARKDOWN_CHARACTERS = set("*_[]()<&`~{}")
BLOCK_MARKER = re.compile(r"[#>+-]|\d+[.)]")


def markdown_strings(node) -> list[str]:
    """Every string a Teams client renders as Markdown: TextBlock text, Fact titles and values."""
    if isinstance(node, list):
        return [s for value in node for s in markdown_strings(value)]
    if not isinstance(node, dict):
        return []
    found = [node["text"]] if node.get("type") == "TextBlock" else []
    if node.get("type") == "FactSet":
        found += [part for fact in node["facts"] for part in (fact["title"], fact["value"])]
    return found + [s for value in node.values() for s in markdown_strings(value)]


def shown_strings(node, hidden: tuple[str, ...] = ("data",)) -> list[str]:
    """Every string of the card a user sees. Action data goes back to the bot, and a choice's value is what the
    bot gets when the user picks the choice's title: neither is shown."""
    if isinstance(node, dict):
        hide = (*hidden, "value") if node.get("type") == "Input.ChoiceSet" else hidden
        return [s for key, value in node.items() if key not in hide
                for s in shown_strings(value, ("data", "value") if key == "choices" else ("data",))]
    if isinstance(node, list):
        return [s for value in node for s in shown_strings(value, hidden)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("name", HOSTILE_CARDS)
def test_hostile_text_never_becomes_markdown(name):
    for markdown in markdown_strings(HOSTILE_CARDS[name]):
        ours = TEXT_FUNCTION.sub("", markdown)
        assert "](" not in ours, markdown[:200]
        assert not MARKDOWN_CHARACTERS & set(ESCAPE.sub("", ours)), markdown[:200]
        assert not any(BLOCK_MARKER.match(line.lstrip()) for line in ours.split("\n")), markdown[:200]


@pytest.mark.parametrize("name", HOSTILE_CARDS)
def test_hostile_text_never_becomes_a_text_function(name):
    for text in shown_strings(HOSTILE_CARDS[name]):
        for start in (match.start() for match in re.finditer(r"\{\{", text)):
            function = TEXT_FUNCTION.match(text, start)
            assert function and (function[1] or function[2]) in OUR_TIMES, text[start:start + 80]


@pytest.mark.parametrize("name", HOSTILE_CARDS)
def test_hostile_text_loses_its_invisible_and_control_characters(name):
    for text in shown_strings(HOSTILE_CARDS[name]):
        bad = {c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Cs")}
        assert not bad, f"{sorted(map(hex, map(ord, bad)))} in {text[:80]!r}"


@pytest.mark.parametrize("hostile", ["mixed", "markdown-10k"])
def test_hostile_markdown_still_reads_as_it_was_written(hostile):
    subject = HOSTILE[hostile]
    heading = cardcheck.texts(cards.mail_card(mail(subject=subject), record()))[1]
    written = " ".join(subject.split())
    assert written.startswith(heading.removesuffix("\u2026"))
    assert "[click](http://evil.example/x)" in heading

