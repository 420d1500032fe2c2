"""The AWS Organizations drift report: where RootMail and the organization disagree, and what to do about it."""
from __future__ import annotations

from cards import text as t
from cards.elements import Element, card, container, facts, fill_sections, heading, line, note, text
from core.adoption.reconcile import Drift, OrgAccount
from core.model import RootAddress

MAX_ROWS = 8  # per section; the rest is counted, not listed


def drift_card(drift: Drift) -> Element:
    problems = len(drift.unknown) + len(drift.retired_in_use) + len(drift.gone) + len(drift.mismatched)
    if drift.in_sync:
        head = container([heading("RootMail and AWS Organizations agree"),
                          text("Every account's root e-mail is a RootMail address, and every linked address "
                               "belongs to an active account.")], style="good")
    else:
        head = container([heading("RootMail and AWS Organizations disagree"),
                          text(f"{problems} {'thing needs' if problems == 1 else 'things need'} a look.")],
                         style="warning")
    body = [head,
            facts([("Accounts in the organization", drift.accounts), ("RootMail addresses", drift.addresses),
                   ("Linked by this sync", len(drift.linked))]),
            line(("Checked", 10), drift.at, isSubtle=True, size="Small", spacing="None")]
    sections = [
        _section("Accounts whose root e-mail RootMail does not know",
                 "Move their root e-mail to a RootMail address, or ask RootMail for one and update it in AWS.",
                 [(_account(a), a.email) for a in drift.unknown]),
        _section("Accounts using an address RootMail has retired",
                 "Retired addresses are never handed out again: give these accounts a new RootMail address.",
                 [(_account(a), r.address) for a, r in drift.retired_in_use]),
        _section("RootMail addresses whose account is closed or gone",
                 "If the account is closed for good, retire the address in RootMail.",
                 [(r.address, f"account {r.account_id} {why.replace('_', ' ')}") for r, why in drift.gone]),
        _section("Accounts RootMail links differently",
                 "AWS and RootMail pair these addresses and accounts differently; check which is right.",
                 [(_account(a), _pairing(a, r)) for a, r in drift.mismatched]),
        _section("Linked by this sync", "These addresses now know their AWS account id.",
                 [(address, account_id) for address, account_id in drift.linked]),
    ]
    return card(fill_sections(body, sections, "The card is full; run sync again after fixing these."))


def _section(title: str, advice: str, rows: list[tuple[str, str]]) -> list[Element]:
    if not rows:
        return []
    shown = rows[:MAX_ROWS]
    items = [text(f"{title} ({len(rows)})", weight="Bolder", separator=True), note(advice, spacing="None"),
             facts([(left, right, t.FACT_VALUE) for left, right in shown])]
    if len(rows) > len(shown):
        items.append(note(f"and {len(rows) - len(shown)} more", spacing="None"))
    return [container(items)]


def _account(account: OrgAccount) -> str:
    return f"{account.name[:30]} ({account.id})" if account.name else account.id


def _pairing(account: OrgAccount, record: RootAddress) -> str:
    if record.address == account.email.strip().lower():
        return f"{record.address} is linked to account {record.account_id} in RootMail"
    return f"uses {account.email}; RootMail links it to {record.address}"
