"""Cards about one root address: the allocation result and the lookup details with their follow-up actions."""
from __future__ import annotations

from cards import text as t
from cards.elements import (BUDGET, Element, address_block, card, container, execute, facts, fit, heading, line,
                            note, show_card, size, text)
from core.model import AddressState, InboundMail, Owner, RootAddress

MAX_MAILS = 5


def allocation_result(record: RootAddress, created: bool) -> Element:
    if created:
        intro = [heading("Your new AWS root e-mail address")]
    else:
        intro = [heading("Already allocated for this request"),
                 text("This form was submitted before, so RootMail did not allocate a second address. "
                      "This is the address the first submit got.")]
    body = [*intro, address_block(record.address), note("Select the address to copy it."),
            facts(_details(record)), *_next_steps(record)]
    return card(body, [lookup_action(record.address, "Show details")])


def lookup_card(record: RootAddress, mails: list[InboundMail]) -> Element:
    body = [heading("Root address"), address_block(record.address)]
    if record.state is AddressState.RETIRED:
        body.append(retired_warning())
    body += [facts([*_details(record), ("Requested by", record.requester.name or record.requester.id, t.PERSON)]),
             line(("Created", 20), record.created_at, isSubtle=True, size="Small", spacing="None"),
             line(("Last changed", 20), record.updated_at, isSubtle=True, size="Small", spacing="None"),
             text("Recent mail", weight="Bolder", separator=True)]
    actions = _follow_ups(record)
    newest = sorted(mails, key=lambda mail: mail.received_at, reverse=True)[:MAX_MAILS]
    if newest:
        rows, left_out = fit([_mail_row(mail) for mail in newest], BUDGET - size(card(body, actions)))
        body += rows
        if left_out:
            body.append(note(f"{left_out} more not shown here."))
    else:
        body.append(note("No mail received yet."))
    return card(body, actions)


def lookup_action(address: str, title: str = "Look up") -> Element:
    return execute(title, "lookup", {"query": t.token(address)})


def owner_name(owner: Owner) -> str:
    return " / ".join(part for part in (owner.team_name, owner.name) if part) or "this conversation"


def retired_warning() -> Element:
    return container([
        text("This address is retired", weight="Bolder", color="Warning"),
        text("RootMail never gives it out again. AWS should not send mail here any more: check which account "
             "still uses it and change that account's root user e-mail."),
    ], style="warning")


def _details(record: RootAddress) -> list[tuple[str, object, int]]:
    return [
        ("Mailbox", record.mailbox, t.MAILBOX),
        ("Owner", owner_name(record.owner), 2 * t.PERSON),
        ("Account name", record.account_name, t.ACCOUNT_NAME),
        ("Environment", record.environment, t.ENVIRONMENT),
        ("Purpose", record.purpose, t.PURPOSE),
        ("AWS account id", record.account_id or "not linked", t.ACCOUNT_ID),
        ("State", record.state.value, t.STATE),
    ]


def _next_steps(record: RootAddress) -> list[Element]:
    where = "this channel" if record.owner.team_id else "this chat"
    steps = [text("Next steps", weight="Bolder", separator=True)]
    if record.account_id:
        steps.append(text("Step 1: Use this address as the root user e-mail of AWS account "
                          f"{t.clean(record.account_id, t.ACCOUNT_ID)}."))
    else:
        steps += [
            text("Step 1: Create the AWS account with this address as its root user e-mail."),
            text("Step 2: When AWS shows the new account id, link the two:"),
            text(f"link {t.clean(record.address, t.ADDRESS)} <account id>", fontType="Monospace", spacing="Small"),
        ]
    steps.append(text(f"Mail AWS sends to this address will be posted in {where}."))
    return steps


def _follow_ups(record: RootAddress) -> list[Element]:
    address = t.token(record.address)
    actions = []
    if record.state is not AddressState.RETIRED:
        if not record.account_id:
            link = execute("Link", "link", {"address": address}, associatedInputs="auto")
            actions.append(show_card("Link account id", [
                text("Enter the 12-digit id AWS gave the account that uses this address."),
                {"type": "Input.Text", "id": "account_id", "label": "AWS account id", "isRequired": True,
                 "regex": "^[0-9]{12}$", "errorMessage": "An AWS account id is exactly 12 digits.",
                 "placeholder": "123456789012"},
            ], [link]))
        retire = execute("Retire", "retire", {"address": address}, style="destructive")
        actions.append(show_card("Retire", [
            text(f"Retire {t.clean(record.address, t.ADDRESS)}?", weight="Bolder"),
            text("A retired address is never given out again. Mail that still arrives is posted here, flagged "
                 "as retired. This cannot be undone."),
        ], [retire]))
    actions.append(lookup_action(record.address, "Refresh"))
    return actions


def _mail_row(mail: InboundMail) -> Element:
    return container([
        text(mail.subject or "(no subject)", t.SUBJECT, weight="Bolder"),
        line(("Received", 10), mail.received_at, (f"\u00b7 {mail.state.value} \u00b7 from", 30),
             (mail.sender or "unknown sender", t.SENDER), isSubtle=True, size="Small", spacing="None"),
    ], separator=True)
