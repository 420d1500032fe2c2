"""The protection cards (kind, Reveal, quarantine, private code, audit, transfer, refusal): valid for Teams with
realistic and hostile text, far below the size limit, and never showing a code on a channel card."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

import cards
from cards.mail import full_mail_card
from cards.protection import (audit_card, private_secret_card, private_wiped_card, quarantine_card, refusal_card,
                              transfer_decided_card, transfer_request_card,
                              with_banner)
from core.intake.aws_mail_rules import RULES
from core.model import AuditEvent, Owner
from core.intake.reveal import Revealed
from tests import cardcheck
from tests.unit.cards.test_cards import SENT_AT, mail, record
from tests.unit.cards.test_validation import HOSTILE, SIZE_LIMIT

UNTIL = SENT_AT + timedelta(minutes=15)
SEALED = "v1.abcd1234.c2VhbGVk"


def protected(**changes):
    return mail(**({"kind": "verification_code", "severity": "high", "verdict": "verified", "secret": SEALED,
                    "secret_kind": "code", "secret_expires_at": UNTIL, "posted_to": "19:abc@thread.tacv2"} | changes))


def built(h: str) -> dict[str, dict]:
    hostile = {"subject": h, "sender": h, "preview": h, "address": h or "x@example.com"}
    owner = Owner(h, h, h, h, h)
    address = record(owner=owner, account_name=h, address=h or "x@example.com")
    reveals = [Revealed(h or "Alice", SENT_AT + timedelta(minutes=i)) for i in range(9)]
    events = [AuditEvent(SENT_AT, h, h or "reveal", h, {"by": h, "reason": h, "mail": h}) for _ in range(40)]
    out = {f"kind-{rule.kind}": cards.mail_card(protected(kind=rule.kind, severity=rule.severity, **hostile), address)
           for rule in RULES}
    out |= {
        "revealed": cards.mail_card(protected(**hostile), address, reveals),
        "wiped": cards.mail_card(protected(secret="", **hostile), address, reveals[:1]),
        "link": cards.mail_card(protected(kind="password_reset", secret_kind="link", **hostile), address),
        "banner": with_banner(cards.mail_card(protected(**hostile), address), h or "Sent", False),
        "quarantine": quarantine_card(protected(verdict="unverified", secret="", verdict_reason=h, **hostile), address),
        "quarantine_unmapped": quarantine_card(protected(verdict="unverified", secret="", **hostile), None),
        "private_code": private_secret_card(protected(**hostile), address, "482913", UNTIL),
        "private_link": private_secret_card(protected(secret_kind="link", **hostile), None,
                                            "https://signin.aws.amazon.com/resetpassword?token=" + "x" * 3000, UNTIL),
        "audit": audit_card(h or "x@example.com", events, True),
        "audit_empty": audit_card(h, [], False),
        "transfer": transfer_request_card(address, h, h, h or "r1"),
        "transfer_not_theirs": transfer_request_card(address, h, h, h or "r1", may_decide=False),
        "transfer_decided": transfer_decided_card(h or "x@example.com", h, True, h, SENT_AT),
        "transfer_declined": transfer_decided_card(h or "x@example.com", h, False, "", None),
        "refusal": refusal_card(h or "No", h),
        "private_wiped": private_wiped_card(protected(**hostile), address),
        "audit_named": audit_card(h or "x@example.com", events, True, {h: h, "aad-1": h}),
        "no_reveal_view": cards.mail_card(protected(**hostile), address, reveals, may_reveal=False),
        "full_mail": full_mail_card(protected(**hostile), h * 3),
    }
    return out


ALL = {f"{name}[{label}]": card for label, h in {"realistic": "payments", **HOSTILE}.items()
       for name, card in built(h).items()}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[str]]:
    return dict(zip(ALL, cardcheck.validate_cards(list(ALL.values())), strict=True))


@pytest.mark.parametrize("name", ALL)
def test_protection_card_is_valid_for_teams_and_small(verdicts, name):
    assert verdicts[name] == []
    assert len(json.dumps(ALL[name])) < SIZE_LIMIT


def test_channel_cards_never_carry_the_sealed_secret_or_a_code():
    for name, card in ALL.items():
        if not name.startswith("private"):
            assert SEALED not in json.dumps(card) and "482913" not in json.dumps(card), name


def test_the_mail_card_shows_kind_summary_next_step_and_reveal():
    card = cards.mail_card(protected(), record())
    shown = cardcheck.texts(card)
    assert shown[:2] == ["AWS root mail for payments-prod", "Your AWS verification code"]
    assert "Verification code \u00b7 high" in shown and "AWS sent a code to verify this e-mail address or the account." in shown
    assert any(s.startswith("What to do: Use the code only if") for s in shown)
    assert [a["title"] for a in card["actions"]] == ["Reveal code", "Look up", "Open the AWS console"]
    assert card["actions"][0]["data"] == {"rootmail": "reveal", "mail": "k1"}
    assert card["actions"][2] == {"type": "Action.OpenUrl", "title": "Open the AWS console",
                                  "url": "https://console.aws.amazon.com/"}  # fixed: never a link from the mail
    assert card["refresh"]["action"]["data"] == {"rootmail": "refresh", "view": "mail", "mail": "k1"}


def test_reveals_are_listed_newest_last_and_capped():
    reveals = [Revealed(f"Person {i}", SENT_AT + timedelta(minutes=i)) for i in range(8)]
    shown = "\n".join(cardcheck.texts(cards.mail_card(protected(), record(), reveals)))
    assert "Person 7" in shown and "Person 3" in shown and "Person 2" not in shown
    assert "3 earlier reveals are in the audit." in shown


def test_a_wiped_secret_says_so_and_offers_no_button():
    card = cards.mail_card(protected(secret=""), record())
    assert any("it has been wiped" in s for s in cardcheck.texts(card))
    assert [a.get("verb") for a in card["actions"] if a["type"] == "Action.Execute"] == ["lookup"]


def test_mail_recorded_before_classification_looks_as_it_did():
    old = mail()
    assert cards.mail_card(old, record()) == cards.mail_card(replace(old, kind="other", severity="normal"), record())
    assert not any("\u00b7 normal" in s for s in cardcheck.texts(cards.mail_card(old, record())))
