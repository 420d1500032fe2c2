"""The digest card: counts by kind, every carried mail listed with Reveal and Look up, within Teams' card size."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import cards
from cards.digest import DigestItem, MailCards, digest_card, tagged
from cards.protection import quarantine_card
from core.delivery.lanes import Delivery
from core.model import MailState
from tests import cardcheck
from tests.unit.cards.test_cards import SENT_AT, mail, record

MAX_CARD_BYTES = cardcheck.MAX_CARD_BYTES


def items(n: int, **changes) -> list[DigestItem]:
    out = []
    for i in range(n):
        kind, severity = (("health", "high") if i % 3 else ("billing", "normal"))
        values = {"subject": f"Notice {i}", "address": f"aws-{i:04d}@example.com"} | changes
        out.append(DigestItem(mail(key=f"{i:040x}", kind=kind, severity=severity, **values),
                              record(account_name=f"acct-{i}")))
    return out


def ids(card: dict) -> list[str]:
    return [e["id"] for e in card["body"] if "id" in e]


def test_a_digest_lists_every_mail_it_carries_with_counts_by_kind():
    card, carried = digest_card(items(9))

    assert carried == 9
    assert ids(card) == [f"mail:{i:040x}" for i in range(9)]
    shown = " ".join(cardcheck.texts(card))
    assert "9 AWS root mails in one digest" in shown
    assert "AWS Health notice" in shown and "Billing" in shown and "Notice 8" in shown
    counts = {f["title"]: f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]}
    assert counts == {"AWS Health notice": "6", "Billing": "3"}
    assert cardcheck.validate_cards([card]) == [[]]


def test_each_mail_with_a_code_can_be_revealed_and_every_known_address_looked_up():
    sealed = [replace(i, mail=replace(i.mail, secret="sealed", secret_kind="code",
                                      secret_expires_at=SENT_AT + timedelta(minutes=15))) for i in items(2)]
    card, _ = digest_card(sealed + [DigestItem(mail(key="f" * 40), None, quarantined=True)])

    executes = [(a["verb"], a["data"]) for a in cardcheck.actions(card) if a["type"] == "Action.Execute"]
    reveals = [d for verb, d in executes if verb == "reveal"]
    assert reveals == [{"rootmail": "reveal", "mail": f"{i:040x}", "digest": "1"} for i in range(2)]
    assert [d["query"] for verb, d in executes if verb == "lookup"] == ["aws-0000@example.com", "aws-0001@example.com"]
    assert "Quarantined: sender not verified" in cardcheck.texts(card)


def test_a_digest_stops_adding_mails_before_teams_would_refuse_the_card():
    card, carried = digest_card(items(200, preview="x" * 400, subject="S" * 300))

    assert 10 < carried < 200
    assert len(ids(card)) == carried
    assert len(json.dumps(card)) <= MAX_CARD_BYTES
    assert cardcheck.validate_cards([card]) == [[]]


def test_a_single_mail_card_names_its_mail_and_a_possible_repeat_says_so():
    maker = MailCards(cards.mail_card, quarantine_card)
    first = Delivery(mail(key="a" * 40), record().owner, record(), MailState.FORWARDED)
    again = Delivery(mail(key="b" * 40, posting_since=SENT_AT), record().owner, record(), MailState.FORWARDED)

    card, repeat = maker.single(first), maker.single(again)

    assert ids(card) == ["mail:" + "a" * 40] and ids(repeat) == ["mail:" + "b" * 40]
    assert "Possibly a repeat" in " ".join(cardcheck.texts(repeat))
    assert "Possibly a repeat" not in " ".join(cardcheck.texts(card))
    assert cardcheck.validate_cards([card, repeat]) == [[], []]


def test_tagging_keeps_the_card_as_it_was():
    original = cards.mail_card(mail(), record())

    assert tagged(original, "k1")["body"][1:] == original["body"][1:]
    assert "id" not in original["body"][0]
