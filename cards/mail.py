"""The card a received AWS root mail is forwarded as, into the owning conversation or the admin one."""
from __future__ import annotations

from typing import Sequence

from cards import text as t
from cards.address import lookup_action, retired_warning
from cards.elements import (BUDGET, Element, card, container, execute, facts, heading, line, note, open_url, refreshable,
                            size, text)
from cards.mail_account import account_lines, link_account_action
from cards.protection import kind_block, reveal_action, secret_block
from core.model import AddressState, InboundMail, RootAddress
from core.intake.reveal import Revealed

MAIL = "mail"  # the view bot.views renders again on refresh
FULL = "mail.full"
FULL_TEXT = 12_000  # characters of the redacted text the full-mail card shows
# Where the team acts on a kind of mail: AWS's own entry points (the console's sign-in page, the Billing and Cost
# Management console, the AWS Health Dashboard, the Support Center), fixed here, never a link taken from a mail.
CONSOLE = ("Open the AWS console", "https://console.aws.amazon.com/")
HEALTH = ("Open AWS Health", "https://health.aws.amazon.com/health/home")
ACT_AT = {
    "billing": ("Open Billing", "https://console.aws.amazon.com/billing/home"),
    "health": HEALTH, "maintenance": HEALTH, "end_of_support": HEALTH,
    "support_case": ("Open Support Center", "https://support.console.aws.amazon.com/support/home"),
    "abuse_report": CONSOLE, "security": CONSOLE, "mfa_change": CONSOLE, "password_reset": CONSOLE,
    "signin_code": CONSOLE, "email_update_code": CONSOLE, "verification_code": CONSOLE, "account_created": CONSOLE,
    "account_suspended": CONSOLE, "account_reinstated": CONSOLE, "account_closed": CONSOLE,
    "suspicious_activity": CONSOLE, "mfa_recovery": CONSOLE, "sns_subscription": CONSOLE,
}  # every kind but marketing (tests/unit/cards/test_mail_links.py keeps it so)


def mail_card(mail: InboundMail, record: RootAddress | None, reveals: Sequence[Revealed] = (),
              may_reveal: bool = True) -> Element:
    """`may_reveal`: this view of the card offers Reveal (everyone's view does; a person who may not reveal gets a
    view without it when Teams refreshes the card for them)."""
    body: list[Element] = []
    if record is None:
        body.append(container([
            text("Mail for an address RootMail does not know", weight="Bolder"),
            text("No root address record matches the recipient, so it is posted here for an admin. "
                 "Check whether the address was created outside RootMail."),
        ], style="attention"))
    else:
        body.append(note(f"AWS root mail for {t.clean(record.account_name, t.ACCOUNT_NAME)}"))
        if record.state is AddressState.RETIRED:
            body.append(retired_warning())
    body += [
        heading(mail.subject or "(no subject)", t.SUBJECT),
        line(("Received", 10), mail.received_at, isSubtle=True, size="Small", spacing="None"),
        *([kind_block(mail)] if mail.verdict else []),  # mail recorded before classification has no kind
        facts(_facts(mail, record)),
        *account_lines(mail, record),
        *secret_block(mail, reveals),
        container([text(mail.preview or "(no text)", t.PREVIEW, multiline=True)], style="emphasis"),
    ]
    actions = [*(reveal_action(mail) if may_reveal else []), *link_account_action(mail, record), *_full_mail(mail),
               lookup_action(mail.address), *_act_at(mail)]
    return refreshable(card(body, actions), {"view": MAIL, "mail": t.token(mail.key, 64)})


def full_mail_card(mail: InboundMail, body_text: str) -> Element:
    """The whole mail as RootMail keeps it: redacted at arrival, codes and reset links never in it. As much of it as
    fits in a card Teams accepts (text that escapes to many bytes, like emoji, fits less)."""
    shown = body_text or mail.preview or "(no text)"
    head = [heading(mail.subject or "(no subject)", t.SUBJECT),
            line(("Received", 10), mail.received_at, ("\u00b7 to", 6), (mail.address, t.ADDRESS), isSubtle=True,
                 size="Small", spacing="None"),
            facts([("From", mail.sender or "unknown sender", t.SENDER)])]
    tail = [note("Codes and reset links are removed from the text; Reveal sends them privately.")]
    limit = FULL_TEXT
    while True:
        built = card([*head, container([text(shown, limit, multiline=True)], style="emphasis"), *tail])
        if size(built) <= BUDGET or limit < 200:
            break
        limit = int(limit * BUDGET / size(built) * 0.95)
    if len(shown) > limit:
        built["body"].insert(-1, note("The rest of this mail is too long to show here."))
    return built


def _full_mail(mail: InboundMail) -> list[Element]:
    """A button when RootMail keeps more of the mail than the card shows."""
    return [execute("View full mail", FULL, {"mail": t.token(mail.key, 64)})] if len(mail.text) > t.PREVIEW else []


def _act_at(mail: InboundMail) -> list[Element]:
    if mail.verdict != "verified" or mail.kind not in ACT_AT:  # a forged mail must not send people to act
        return []
    return [open_url(*ACT_AT[mail.kind])]


def _facts(mail: InboundMail, record: RootAddress | None) -> list[tuple[str, object, int]]:
    rows = [("From", mail.sender or "unknown sender", t.SENDER), ("To", mail.address, t.ADDRESS)]
    if record is not None:
        rows += [("Account name", record.account_name, t.ACCOUNT_NAME),
                 ("AWS account id", record.account_id or "not linked", t.ACCOUNT_ID)]
    return rows
