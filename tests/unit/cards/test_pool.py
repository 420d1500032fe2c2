"""The admin's pool cards: valid for Teams whatever the data, and saying what an admin needs to act on."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from cards.pool import aliases_missing_card, pool_status_card
from core.addresses.inventory import MailboxStatus, SyncReport
from core.model import Mailbox, Strategy
from tests.cardcheck import MAX_CARD_BYTES, texts, validate_cards

T0 = datetime(2026, 11, 21, tzinfo=timezone.utc)


def status(address: str, free: int, assigned: int, missing: tuple[str, ...] = (), left: int = 0,
           strategy: Strategy = Strategy.ALIAS, state: str = "active") -> MailboxStatus:
    report = SyncReport(address, free + assigned - len(missing), 2, 1, missing, T0)
    return MailboxStatus(Mailbox(address, strategy, 300, state), free, assigned,
                         report if strategy is Strategy.ALIAS else None, left)


def test_pool_cards_are_valid_for_teams_whatever_they_show():
    hostile = "**[click](https://evil.example)**{{DATE(x)}}@example.com"
    many = [status(f"aws-root-{n:03d}@example.com", n, 300 - n, missing=tuple(f"aws-{i:04d}@example.com"
                                                                              for i in range(30)), left=n)
            for n in range(60)]
    cards = [
        pool_status_card([status("aws-root-01@example.com", 12, 288, ("aws-0007@example.com",), left=3),
                          status("aws-root@example.com", 0, 0, strategy=Strategy.PLUS),
                          status(hostile, 0, 300, state="draining")], {hostile: "Graph answered 403 <b>"},
                         synced=True),
        pool_status_card([]),
        pool_status_card(many, {m.mailbox.address: "x" * 2000 for m in many}, synced=True),
        aliases_missing_card("aws-root-01@example.com", tuple(f"aws-{i:04d}@example.com" for i in range(25)),
                             {"aws-0000@example.com": "Cloud Platform / Platform"}),
        aliases_missing_card(hostile, (hostile,), {hostile: hostile}),
    ]
    assert validate_cards(cards) == [[]] * len(cards)
    assert all(len(json.dumps(card)) <= MAX_CARD_BYTES for card in cards)


def test_the_status_card_says_how_full_each_mailbox_is_and_what_went_wrong():
    card = pool_status_card([status("aws-root-01@example.com", 12, 288, ("aws-0007@example.com",), left=3),
                             status("aws-root@example.com", 0, 0, strategy=Strategy.PLUS)],
                            {"aws-root@example.com": "Graph answered 403"}, synced=True)
    shown = texts(card)
    assert "12 free, 288 assigned of 300 (96% used)" in shown
    assert "1 assigned aliases are no longer in Exchange" in shown and "aws-0007@example.com" in shown
    assert ["Unrouted mail left in the mailbox", "3"] == shown[shown.index("Unrouted mail left in the mailbox"):][:2]
    assert "Could not read it from Exchange: Graph answered 403" in shown


def test_a_long_list_of_missing_aliases_is_cut_and_says_so():
    missing = tuple(f"aws-{i:04d}@example.com" for i in range(25))
    shown = texts(aliases_missing_card("aws-root-01@example.com", missing, {}))
    assert "aws-0009@example.com" in shown and "aws-0010@example.com" not in shown
    assert "and 15 more; run pool to see them all." in shown and "25" in shown
