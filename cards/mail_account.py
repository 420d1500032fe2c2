"""On the mail card: the AWS account id the mail names (one-click link, or a mismatch warning) and a reused Message-ID."""
# A click links the id when the address has none; a warning shows when the mail names another account than the linked
# one, and when another mail with the same Message-ID came first with a different sender verdict or content.
from __future__ import annotations

from cards import text as t
from cards.elements import Element, container, execute, text
from core.model import AddressState, InboundMail, RootAddress


def account_lines(mail: InboundMail, record: RootAddress | None) -> list[Element]:
    items: list[Element] = []
    if mail.account_id:
        if record is not None and record.account_id and record.account_id != mail.account_id:
            items.append(container([
                text(f"This mail names AWS account {t.clean(mail.account_id, t.ACCOUNT_ID)}, but the address is "
                     f"linked to {t.clean(record.account_id, t.ACCOUNT_ID)}.", weight="Bolder"),
                text("Check which account really uses this address before acting on the mail; tell your security "
                     "team if it is not yours.", size="Small"),
            ], style="warning"))
        else:
            items.append(text(f"AWS account named in this mail: {t.clean(mail.account_id, t.ACCOUNT_ID)}",
                              size="Small", spacing="None"))
    if mail.duplicate_of:
        items.append(container([
            text("Another mail with the same Message-ID came first, with a different sender check or content.",
                 weight="Bolder"),
            text("Both are kept and in the audit. A copy that reuses a real mail's Message-ID is a way to hide it: "
                 "compare the two before acting.", size="Small"),
        ], style="warning"))
    return items


def link_account_action(mail: InboundMail, record: RootAddress | None) -> list[Element]:
    """One click links the id the (verified) mail names, when the address has no account id yet."""
    if not mail.account_id or record is None or record.account_id or record.state is AddressState.RETIRED:
        return []
    return [execute(f"Link {t.clean(mail.account_id, t.ACCOUNT_ID)}", "link",
                    {"address": t.token(record.address), "account_id": t.token(mail.account_id, 12)})]
