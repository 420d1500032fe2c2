"""What each card shows and which buttons it offers, as a Teams user would notice it."""
from __future__ import annotations

import ast
import copy
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import cards
from core.model import AddressState, InboundMail, MailState, Owner, Page, Person, RootAddress
from core.addresses.rules import ENVIRONMENTS
from tests.cardcheck import actions, literal, texts

SENT_AT = datetime(2025, 11, 21, 9, 30, 5, tzinfo=timezone.utc)


def record(**changes) -> RootAddress:
    base = RootAddress(
        address="aws-0001@example.com", mailbox="aws-root-01@example.com", account_name="payments-prod",
        environment="production", purpose="Payments API for the EU shops",
        owner=Owner("19:abc@thread.tacv2", "Platform", "team-1", "Cloud Team", "tenant-1"),
        requester=Person("29:user", "Alex Wilber", "aad-1"), created_at=SENT_AT - timedelta(days=3),
        updated_at=SENT_AT, account_id="123456789012", request_id="req-1")
    return replace(base, **changes)


def mail(**changes) -> InboundMail:
    base = InboundMail(
        key="k1", message_id="<m1@amazonses.com>", address="aws-0001@example.com",
        sender="Amazon Web Services <no-reply@signin.aws>", subject="Your AWS verification code",
        received_at=SENT_AT, preview="Hello,\n\nyour verification code is [redacted].", state=MailState.FORWARDED)
    return replace(base, **changes)


def body_inputs(card: dict) -> dict[str, dict]:
    return {element["id"]: element for element in card["body"] if element["type"].startswith("Input.")}


def executes(card: dict) -> list[tuple[str, dict]]:
    """The buttons a reader can press (the card's refresh action is Teams', checked on its own)."""
    pressable = {key: value for key, value in card.items() if key != "refresh"}
    return [(action["verb"], action["data"]) for action in actions(pressable) if action["type"] == "Action.Execute"]


def shown(card: dict) -> str:
    return "\n".join(texts(card))


# --- new form --------------------------------------------------------------------------------------------------

def test_new_form_asks_for_the_account_details():
    form = cards.new_form("req-1")
    inputs = body_inputs(form)
    assert list(inputs) == ["account_name", "environment", "purpose", "account_id"]
    name, environment, purpose, account_id = inputs.values()
    assert (name["type"], name["maxLength"], name["isRequired"], name["label"]) == (
        "Input.Text", 50, True, "AWS account name")
    assert environment["type"] == "Input.ChoiceSet" and environment["style"] == "compact"
    assert [choice["value"] for choice in environment["choices"]] == list(ENVIRONMENTS)
    assert purpose["isMultiline"] and purpose["maxLength"] == 500 and purpose["isRequired"]
    assert account_id["regex"] == "^[0-9]{12}$" and account_id["errorMessage"]
    assert not account_id.get("isRequired")
    assert "posted in this conversation" in shown(form)


def test_new_form_submits_with_its_request_id():
    [submit] = cards.new_form("req-42")["actions"]
    assert submit["type"] == "Action.Execute"
    assert submit["verb"] == "new.submit"
    assert submit["data"] == {"rootmail": "new.submit", "request_id": "req-42"}
    assert submit["associatedInputs"] == "auto"


def test_new_form_offers_the_configured_environments():
    environment = body_inputs(cards.new_form("r", environments=("prod", "dev")))["environment"]
    assert [(c["title"], c["value"]) for c in environment["choices"]] == [("prod", "prod"), ("dev", "dev")]


def test_failed_submit_shows_each_error_under_its_input():
    errors = {"account_name": "Use at most 50 characters (AWS limit).", "account_id": "Exactly 12 digits."}
    form = cards.new_form("req-1", {"account_name": "x" * 60}, errors)
    body = form["body"]
    for input_id, message in errors.items():
        position = next(i for i, element in enumerate(body) if element.get("id") == input_id)
        below = body[position + 1]
        assert below["type"] == "TextBlock" and below["color"] == "Attention"
        assert literal(below["text"]) == message
    untouched = next(i for i, element in enumerate(body) if element.get("id") == "purpose")
    assert body[untouched + 1].get("id") == "account_id"


def test_failed_submit_summarises_the_errors_at_the_top():
    form = cards.new_form("req-1", {}, {"purpose": "Say what the account is for.",
                                        "request_id": "This form is stale; ask for a new one with `new`."})
    summary = form["body"][2]
    assert summary["type"] == "Container" and summary["style"] == "attention"
    assert "Needs a change: Purpose." in texts(summary)
    assert "This form is stale; ask for a new one with `new`." in texts(summary)
    assert form["body"].index(summary) < min(i for i, e in enumerate(form["body"]) if e.get("id"))


def test_failed_submit_keeps_what_the_user_typed():
    values = {"account_name": "payments **prod**", "environment": "staging", "purpose": "EU shops\n\nand UK",
              "account_id": "1234-5678-9012", "rootmail": "new.submit", "request_id": "req-1"}
    inputs = body_inputs(cards.new_form("req-1", values, {"account_id": "Exactly 12 digits."}))
    assert inputs["account_name"]["value"] == "payments **prod**"
    assert inputs["environment"]["value"] == "staging"
    assert inputs["purpose"]["value"] == "EU shops\n\nand UK"
    assert inputs["account_id"]["value"] == "1234-5678-9012"


def test_failed_submit_drops_an_environment_that_is_not_offered():
    inputs = body_inputs(cards.new_form("req-1", {"environment": "moon"}, {"environment": "Choose one."}))
    assert "value" not in inputs["environment"]


def test_form_does_not_change_the_dicts_it_is_given():
    values, errors = {"account_name": "a\u202eb"}, {"account_name": "bad"}
    before = copy.deepcopy((values, errors))
    cards.new_form("r", values, errors)
    assert (values, errors) == before


# --- allocation result -----------------------------------------------------------------------------------------

def test_allocation_result_shows_the_address_and_what_to_do_next():
    card = cards.allocation_result(record(account_id=None), created=True)
    text = shown(card)
    address_block = card["body"][1]["items"][0]
    assert literal(address_block["text"]) == "aws-0001@example.com"
    assert address_block["size"] == "Large" and address_block["fontType"] == "Monospace"
    for expected in ("aws-root-01@example.com", "Cloud Team / Platform", "payments-prod", "production",
                     "Payments API for the EU shops", "active", "Next steps",
                     "link aws-0001@example.com <account id>", "posted in this channel"):
        assert expected in text
    assert "Already allocated" not in text
    assert executes(card) == [("lookup", {"rootmail": "lookup", "query": "aws-0001@example.com"})]


def test_allocation_result_of_a_double_submit_is_the_same_success():
    text = shown(cards.allocation_result(record(), created=False))
    assert text.startswith("Your new AWS root e-mail address\nThe form was submitted more than once; RootMail gave "
                           "out this one address for it.")
    assert "Already allocated" not in text and "aws-0001@example.com" in text


def test_allocation_result_with_an_account_id_skips_the_link_step():
    text = shown(cards.allocation_result(record(), created=True))
    assert "123456789012" in text
    assert "link aws-0001@example.com" not in text


def test_allocation_in_a_personal_chat_says_chat():
    text = shown(cards.allocation_result(record(owner=Owner("a:1", "Alex")), created=True))
    assert "posted in this personal chat" in text
    group = Owner("19:g@thread.v2", "Leads", reference={"conversation": {"conversationType": "groupChat"}})
    assert "posted in this group chat" in shown(cards.allocation_result(record(owner=group), created=True))


# --- mail ------------------------------------------------------------------------------------------------------

def test_mail_card_shows_the_mail_and_its_account():
    card = cards.mail_card(mail(), record())
    text = shown(card)
    for expected in ("Your AWS verification code", "Amazon Web Services <no-reply@signin.aws>",
                     "aws-0001@example.com", "payments-prod", "123456789012",
                     "Hello,\n\nyour verification code is [redacted]."):
        assert expected in text
    assert "retired" not in text and "does not know" not in text
    assert executes(card) == [("lookup", {"rootmail": "lookup", "query": "aws-0001@example.com"})]


@pytest.mark.parametrize("received", [
    SENT_AT,
    SENT_AT.astimezone(timezone(timedelta(hours=2))),
    SENT_AT.replace(tzinfo=None),
])
def test_mail_card_shows_the_received_time_in_the_readers_time_zone(received):
    card = cards.mail_card(mail(received_at=received), record())
    stamps = [e["text"] for e in card["body"] if "{{DATE(" in e.get("text", "")]
    assert stamps == ["Received {{DATE(2025-11-21T09:30:05Z, SHORT)}} {{TIME(2025-11-21T09:30:05Z)}}"]


def test_mail_for_an_unknown_address_says_so():
    card = cards.mail_card(mail(address="stray@example.com"), None)
    assert texts(card)[0] == "Mail for an address RootMail does not know"
    assert card["body"][0]["style"] == "attention"
    assert "stray@example.com" in shown(card)


def test_mail_for_a_retired_address_warns():
    card = cards.mail_card(mail(), record(state=AddressState.RETIRED))
    warning = next(e for e in card["body"] if e.get("style") == "warning")
    assert texts(warning)[0] == "This address is retired"


def test_mail_preview_is_cut_to_about_400_characters():
    card = cards.mail_card(mail(preview="word " * 2000), record())
    preview = next(e for e in card["body"] if e.get("style") == "emphasis")
    assert len(preview["items"][0]["text"]) <= 400
    assert preview["items"][0]["text"].endswith("\u2026")


def test_mail_without_subject_or_text_still_reads_well():
    text = shown(cards.mail_card(mail(subject="", preview="", sender=""), record()))
    assert "(no subject)" in text and "(no text)" in text and "unknown sender" in text


# --- lookup ----------------------------------------------------------------------------------------------------

def test_lookup_card_shows_every_detail():
    text = shown(cards.lookup_card(record(), []))
    for expected in ("aws-0001@example.com", "aws-root-01@example.com", "payments-prod", "123456789012",
                     "production", "Payments API for the EU shops", "Cloud Team / Platform", "Alex Wilber",
                     "active", "No mail received yet."):
        assert expected in text
    assert "{{DATE(2025-11-18T09:30:05Z, SHORT)}}" in str(cards.lookup_card(record(), []))


def test_lookup_card_lists_the_five_newest_mails():
    mails = [mail(subject=f"mail {n}", received_at=SENT_AT + timedelta(minutes=n)) for n in range(8)]
    text = shown(cards.lookup_card(record(), mails))
    assert [f"mail {n}" in text for n in range(8)] == [False] * 3 + [True] * 5
    assert text.index("mail 7") < text.index("mail 3")


def test_unlinked_address_offers_link_retire_and_refresh():
    card = cards.lookup_card(record(account_id=None), [])
    assert [action["title"] for action in card["actions"]] == ["Link account id", "Retire", "Refresh"]
    link_form = card["actions"][0]["card"]
    assert body_inputs(link_form)["account_id"]["regex"] == "^[0-9]{12}$"
    view = {"view": "address", "address": "aws-0001@example.com"}  # the card's own address: answered in place
    assert executes(card) == [
        ("link", {"rootmail": "link", **view}),
        ("retire", {"rootmail": "retire", **view}),
        ("refresh", {"rootmail": "refresh", **view}),
    ]
    assert card["refresh"] == {"action": card["actions"][2], "userIds": []}  # the Teams edge fills userIds


def test_retire_asks_for_confirmation_first():
    retire = next(a for a in cards.lookup_card(record(), [])["actions"] if a["title"] == "Retire")
    assert retire["type"] == "Action.ShowCard"
    assert "Retire aws-0001@example.com?" in texts(retire["card"])
    assert retire["card"]["actions"][0]["style"] == "destructive"


def test_linked_address_offers_no_link():
    card = cards.lookup_card(record(), [])
    assert [action["title"] for action in card["actions"]] == ["Retire", "Refresh"]


def test_retired_address_offers_only_refresh_and_warns():
    card = cards.lookup_card(record(account_id=None, state=AddressState.RETIRED), [])
    assert [action["title"] for action in card["actions"]] == ["Refresh"]
    assert "This address is retired" in texts(card)


def test_lookup_results_list_each_match_with_a_details_action():
    matches = [record(address=f"aws-000{n}@example.com", account_id=None) for n in range(3)]
    card = cards.lookup_results("pay", matches)
    assert "3 addresses match \u201cpay\u201d" in texts(card)
    assert [data["query"] for verb, data in executes(card) if verb == "lookup"] == [
        "aws-0000@example.com", "aws-0001@example.com", "aws-0002@example.com"]
    assert "payments-prod \u00b7 not linked \u00b7 production \u00b7 active" in texts(card)


def test_a_single_lookup_result_reads_well():
    assert texts(cards.lookup_results("pay", [record()]))[0] == "1 address matches \u201cpay\u201d"


def test_lookup_results_show_at_most_ten():
    card = cards.lookup_results("aws", [record(address=f"aws-{n:04d}@example.com") for n in range(25)])
    assert len(executes(card)) == 10
    assert "Showing 10 of 25. Refine the search to see the others." in texts(card)


def test_lookup_without_results_gives_hints():
    card = cards.lookup_results("nothing-here", [])
    assert texts(card)[0] == "Nothing found for \u201cnothing-here\u201d"
    assert any("12-digit AWS account id" in line for line in texts(card))
    assert not actions(card)


# --- list ------------------------------------------------------------------------------------------------------

def test_list_shows_one_row_per_address():
    page = Page([record(), record(address="aws-0002@example.com", account_id=None, state=AddressState.RETIRED)])
    card = cards.list_card("Root addresses owned by Platform", page, 1, 10)
    text = texts(card)
    assert text[0] == "Root addresses owned by Platform"
    assert "payments-prod \u00b7 123456789012 \u00b7 production \u00b7 active" in text
    assert "payments-prod \u00b7 not linked \u00b7 production \u00b7 retired" in text
    assert [data["query"] for _, data in executes(card)] == ["aws-0001@example.com", "aws-0002@example.com"]


def test_list_offers_the_next_page_only_when_there_is_one():
    more = cards.list_card("t", Page([record()], continuation="opaque+token/=="), 2, 10)
    assert more["actions"] == [{"type": "Action.Execute", "title": "Next page", "verb": "list.page", "data": {
        "rootmail": "list.page", "continuation": "opaque+token/==", "page": 3}}]
    assert "Addresses 11\u201311. Select one for details." in texts(more)
    last = cards.list_card("t", Page([record()]), 2, 10)
    assert "list.page" not in [verb for verb, _ in executes(last)]


def test_list_refuses_a_page_token_too_long_to_carry():
    card = cards.list_card("t", Page([record()], continuation="x" * 20_000), 1, 10)
    assert "list.page" not in [verb for verb, _ in executes(card)]
    assert any("more addresses than this card can page through" in line for line in texts(card))


def test_empty_list_suggests_new():
    card = cards.list_card("t", Page([]), 1, 10)
    assert any("does not own any root addresses yet" in line for line in texts(card))
    assert executes(card) == [("new.form", {"rootmail": "new.form"})]


# --- help, notices, errors, pool -------------------------------------------------------------------------------

def test_help_explains_every_command_with_an_example():
    text = texts(cards.help_card())
    for command, example in [("new", "new"), ("lookup <account id | address | name>", "lookup 123456789012"),
                             ("list", "list"), ("link <address> <account id>",
                                                "link aws-0001@example.com 123456789012"),
                             ("retire <address>", "retire aws-0001@example.com"), ("help", "help")]:
        position = text.index(command)
        assert text[position + 2] == f"Example: {example}"
    assert any("start with /rootmail, or @mention RootMail" in line and "In a personal chat just type" in line
               for line in text)
    assert executes(cards.help_card()) == [("new.form", {"rootmail": "new.form"})]
    assert not any(line.startswith("I didn't understand") for line in text)


def test_help_for_an_unknown_command_quotes_it_safely():
    card = cards.help_card("frobnicate [x](http://evil) " + "y" * 500)
    first = card["body"][0]
    assert "color" not in first  # dark text reads on every background
    assert "](" not in first["text"]
    assert literal(first["text"]).startswith("I didn't understand \u201cfrobnicate [x](http://evil) yyy")
    assert len(first["text"]) < 150


def test_notice_shows_title_text_and_facts():
    card = cards.notice_card("Account linked", "aws-0001@example.com now belongs to AWS account 123456789012.",
                             [("Address", "aws-0001@example.com"), ("AWS account", "")], "good")
    assert card["body"][0]["style"] == "good"
    assert texts(card) == ["Account linked", "aws-0001@example.com now belongs to AWS account 123456789012.",
                           "Address", "aws-0001@example.com", "AWS account", "\u2014"]


def test_notice_with_an_unknown_style_falls_back_to_default():
    assert cards.notice_card("t", "x", style="purple")["body"][0]["style"] == "default"


def test_error_card_is_friendly_and_shows_no_markup():
    card = cards.error_card("That did not work", "RootMail does not know the address <b>x</b>.")
    assert card["body"][0]["style"] == "attention"
    assert texts(card) == ["That did not work", "RootMail does not know the address <b>x</b>.",
                           "Type help to see what RootMail can do."]


def test_pool_low_card_says_what_to_do():
    card = cards.pool_low_card("aws-root-01@example.com", 7, 20)
    text = shown(card)
    assert card["body"][0]["style"] == "warning"
    for expected in ("The alias pool is running low", "aws-root-01@example.com", "7", "20", "Exchange",
                     "pool configuration"):
        assert expected in text


def test_empty_pool_is_an_attention_notice():
    card = cards.pool_low_card("aws-root-01@example.com", 0, 20)
    assert card["body"][0]["style"] == "attention"
    assert texts(card)[0] == "The alias pool is empty"


def test_builders_are_pure():
    assert cards.lookup_card(record(), [mail()]) == cards.lookup_card(record(), [mail()])
    assert cards.new_form("r") is not cards.new_form("r")


@pytest.mark.parametrize("module", sorted(Path(cards.__file__).parent.glob("*.py")), ids=lambda path: path.name)
def test_cards_modules_are_small_and_import_only_core(module):
    source = module.read_text()
    tree = ast.parse(source)
    docstring = ast.get_docstring(tree)
    assert docstring and "\n" not in docstring
    assert len(source.splitlines()) < 300
    imported = {name.split(".")[0] for node in ast.walk(tree)
                for name in ([a.name for a in node.names] if isinstance(node, ast.Import)
                             else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])}
    assert imported <= {"cards", "core", "__future__"} | sys.stdlib_module_names
