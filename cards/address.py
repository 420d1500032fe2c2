"""Cards about one root address: the allocation result and the lookup details with their follow-up actions."""
from __future__ import annotations

from cards import text as t
from cards.elements import (BUDGET, REFRESH, Element, address_block, card, container, execute, facts, fit, heading,
                            line, note, refreshable, show_card, size, text)
from cards.messages import notice_card
from core.model import AddressState, InboundMail, Owner, RootAddress

MAX_MAILS = 5
ADDRESS, RESULT = "address", "result"  # views bot.views renders again on refresh


def allocation_result(record: RootAddress, created: bool) -> Element:
    """The answer to the form, kept current (refresh) since it stays in the channel. A second submit of the same
    form got this same address: it reads as the success it is, with one line saying why no second address came."""
    intro = [heading("Your new AWS root e-mail address")]
    if not created:
        intro.append(note("The form was submitted more than once; RootMail gave out this one address for it."))
    body = [*intro, address_block(record.address), note("Select the address to copy it."),
            facts(_details(record)), *_state_banner(record), *_next_steps(record)]
    return refreshable(card(body, [lookup_action(record.address, "Show details")]),
                       {"view": RESULT, "address": t.token(record.address)})


def lookup_card(record: RootAddress, mails: list[InboundMail], may_change: bool = True) -> Element:
    """An address's details, state and newest mail; Link and Retire only for those who may change it."""
    body = [heading("Root address"), address_block(record.address), *_state_banner(record)]
    body += [facts([*_details(record), ("Requested by", record.requester.name or record.requester.id, t.PERSON)]),
             line(("Created", 20), record.created_at, isSubtle=True, size="Small", spacing="None"),
             line(("Last changed", 20), record.updated_at, isSubtle=True, size="Small", spacing="None"),
             text("Recent mail", weight="Bolder", separator=True)]
    actions = _follow_ups(record, may_change)
    newest = sorted(mails, key=lambda mail: mail.received_at, reverse=True)[:MAX_MAILS]
    if newest:
        rows, left_out = fit([_mail_row(mail) for mail in newest], BUDGET - size(card(body, actions)) - 400)
        body += rows
        if left_out:
            body.append(note(f"{left_out} more not shown here."))
    else:
        body.append(note("No mail received yet."))
    return refreshable(card(body, actions), address_view(record.address))


def address_view(address: str) -> dict[str, str]:
    return {"view": ADDRESS, "address": t.token(address)}


def elsewhere_card(record: RootAddress, here: Owner) -> Element:
    """All another conversation learns of an address: that it exists, and where it belongs."""
    where = place(record.owner, here)
    kind = kind_of(record.owner)
    title = {"channel": "Owned by another channel", "personal": "Owned by someone's personal chat"}.get(
        kind, "Owned by a group chat")
    return refreshable(notice_card(title,
                                   f"This address belongs to {where}, so its details and mail are only shown there.",
                                   [("Address", record.address), ("Owner", owner_name(record.owner))]),
                       address_view(record.address))


def lookup_action(address: str, title: str = "Look up") -> Element:
    return execute(title, "lookup", {"query": t.token(address)})


def owner_name(owner: Owner) -> str:
    return " / ".join(part for part in (owner.team_name, owner.name) if part) or "this conversation"


def kind_of(owner: Owner) -> str:
    """channel | groupChat | personal: from the stored conversation reference, as Teams sent it."""
    stated = ((owner.reference or {}).get("conversation") or {}).get("conversationType") or ""
    if owner.team_id or stated == "channel":
        return "channel"
    if stated == "personal" or owner.conversation_id.startswith("a:"):
        return "personal"
    return "groupChat"


def place(owner: Owner, here: Owner | None = None) -> str:
    """Words for where an address belongs, as seen from `here`: this channel, another channel of this team, a
    channel of another team, a group chat, someone's personal chat."""
    kind = kind_of(owner)
    if here is not None and owner.conversation_id == here.conversation_id:
        return {"channel": "this channel", "personal": "this personal chat"}.get(kind, "this group chat")
    if kind == "channel":
        if here is not None and here.team_id and here.team_id == owner.team_id:
            return f"another channel of this team ({owner.name or 'a channel'})"
        return f"a channel of another team ({owner_name(owner)})"
    if kind == "personal":
        return "someone's personal chat with RootMail"
    return f"a group chat ({owner.name})" if owner.name and owner.name != "group chat" else "a group chat"


def retired_warning() -> Element:
    # dark text on the warning colour: coloured text on it (yellow on peach) was hard to read
    return container([
        text("This address is retired", weight="Bolder"),
        text("RootMail never gives it out again. AWS should not send mail here any more: check which account "
             "still uses it and change that account's root user e-mail."),
    ], style="warning")


def _state_banner(record: RootAddress) -> list[Element]:
    return [retired_warning()] if record.state is AddressState.RETIRED else []


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
    where = place(record.owner, record.owner)
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


def _follow_ups(record: RootAddress, may_change: bool) -> list[Element]:
    """Link and Retire change this card's own address: pressed here they update the card in place."""
    view = address_view(record.address)
    actions = []
    if may_change and record.state is not AddressState.RETIRED:
        if not record.account_id:
            link = execute("Link", "link", view, associatedInputs="auto")
            actions.append(show_card("Link account id", [
                text("Enter the 12-digit id AWS gave the account that uses this address."),
                {"type": "Input.Text", "id": "account_id", "label": "AWS account id", "isRequired": True,
                 "regex": "^[0-9]{12}$", "errorMessage": "An AWS account id is exactly 12 digits.",
                 "placeholder": "123456789012"},
            ], [link]))
        retire = execute("Retire", "retire", view, style="destructive")
        actions.append(show_card("Retire", retire_question(record.address), [retire]))
    actions.append(execute("Refresh", REFRESH, view))
    return actions


def retire_question(address: str) -> list[Element]:
    return [text(f"Retire {t.clean(address, t.ADDRESS)}?", weight="Bolder"),
            text("A retired address is never given out again. Mail that still arrives is posted here, flagged "
                 "as retired. This cannot be undone.")]


def _mail_row(mail: InboundMail) -> Element:
    return container([
        text(mail.subject or "(no subject)", t.SUBJECT, weight="Bolder"),
        line(("Received", 10), mail.received_at, (f"\u00b7 {mail.state.value} \u00b7 from", 30),
             (mail.sender or "unknown sender", t.SENDER), isSubtle=True, size="Small", spacing="None"),
    ], separator=True)
