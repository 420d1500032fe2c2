"""The card a received AWS root mail is forwarded as, into the owning conversation or the admin one."""
from __future__ import annotations

from typing import Sequence

from cards import text as t
from cards.address import lookup_action, retired_warning
from cards.elements import Element, card, container, facts, heading, line, note, text
from cards.mail_account import account_lines, link_account_action
from cards.protection import kind_block, reveal_action, secret_block
from core.model import AddressState, InboundMail, RootAddress
from core.intake.reveal import Revealed


def mail_card(mail: InboundMail, record: RootAddress | None, reveals: Sequence[Revealed] = ()) -> Element:
    body: list[Element] = []
    if record is None:
        body.append(container([
            text("Mail for an address RootMail does not know", weight="Bolder", color="Attention"),
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
    return card(body, [*reveal_action(mail), *link_account_action(mail, record), lookup_action(mail.address)])


def _facts(mail: InboundMail, record: RootAddress | None) -> list[tuple[str, object, int]]:
    rows = [("From", mail.sender or "unknown sender", t.SENDER), ("To", mail.address, t.ADDRESS)]
    if record is not None:
        rows += [("Account name", record.account_name, t.ACCOUNT_NAME),
                 ("AWS account id", record.account_id or "not linked", t.ACCOUNT_ID)]
    return rows
