"""The mail card tells the team which AWS account the mail is about: one click links it when the address has none, a
warning when it names another account than the linked one; and a warning when the Message-ID was reused."""
from __future__ import annotations

from dataclasses import replace

from cards import mail_card
from core.model import AddressState
from tests.cardcheck import actions, texts, validate_cards
from tests.cardwalk import action, text
from tests.contract.conftest import address, mail

NAMED = "111122223333"


def test_an_unlinked_address_gets_a_one_click_link_for_the_account_the_mail_names():
    card = mail_card(replace(mail("k1"), account_id=NAMED), address(account_id=None))
    button = action(card, "link")
    assert button["title"] == f"Link {NAMED}"
    assert {"address": "aws+billing@example.com", "account_id": NAMED}.items() <= button["data"].items()
    assert f"AWS account named in this mail: {NAMED}" in text(card)


def test_a_mail_naming_another_account_than_the_linked_one_warns_and_offers_no_link():
    card = mail_card(replace(mail("k1"), account_id=NAMED), address(account_id="999988887777"))
    assert "link" not in [a.get("verb") for a in actions(card)]
    assert any(f"names AWS account {NAMED}, but the address is linked to 999988887777" in t for t in texts(card))
    assert any(c.get("style") == "warning" for c in card["body"] if c.get("type") == "Container")


def test_the_same_account_as_linked_is_only_named_and_a_retired_or_unknown_address_gets_no_button():
    same = mail_card(replace(mail("k1"), account_id=NAMED), address(account_id=NAMED))
    assert "link" not in [a.get("verb") for a in actions(same)] and "but the address is linked" not in text(same)
    retired = replace(address(account_id=None), state=AddressState.RETIRED)
    assert "link" not in [a.get("verb") for a in actions(mail_card(replace(mail("k1"), account_id=NAMED), retired))]
    assert "link" not in [a.get("verb") for a in actions(mail_card(replace(mail("k1"), account_id=NAMED), None))]
    assert "AWS account named" not in text(mail_card(mail("k1"), address(account_id=None)))


def test_a_reused_message_id_is_said_on_the_card():
    card = mail_card(replace(mail("k2"), duplicate_of="k1"), address())
    assert "Another mail with the same Message-ID came first" in text(card)


def test_the_cards_are_valid_for_teams():
    cards = [mail_card(replace(mail("k1"), account_id=NAMED, duplicate_of="k0"), address(account_id=None)),
             mail_card(replace(mail("k1"), account_id=NAMED), address(account_id="999988887777"))]
    assert validate_cards(cards) == [[], []]
