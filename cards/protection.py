"""Cards of root mail protection: what kind of mail it is, Reveal, the quarantine, the private code, audit, transfer."""
from __future__ import annotations

from datetime import datetime

from cards import text as t
from cards.address import lookup_action, owner_name
from cards.elements import (BUDGET, Element, card, container, execute, facts, fit, heading, line, note, size,
                            text)
from core.intake.aws_mail_rules import CRITICAL, HIGH, LOW, UNVERIFIED_ACTION
from core.intake.classify import LINK, rule_for
from core.model import AuditEvent, InboundMail, RootAddress
from core.intake.reveal import Revealed

SEVERITY_STYLE = {CRITICAL: "attention", HIGH: "warning", LOW: "default"}
MAX_REVEALS_SHOWN = 5
MAX_AUDIT_ROWS = 30
REVEAL = "reveal"


def kind_block(mail: InboundMail) -> Element:
    """The kind and severity, one line of what happened and what the team should do next."""
    rule = rule_for(mail.kind)
    return container([  # the container's style carries the severity; coloured text on it would be hard to read
        text(f"{rule.title} \u00b7 {mail.severity}", weight="Bolder"),
        text(rule.summary, spacing="None"),
        text(f"What to do: {rule.action}", size="Small"),
    ], style=SEVERITY_STYLE.get(mail.severity, "accent"))


def secret_block(mail: InboundMail, reveals: list[Revealed] | tuple[Revealed, ...] = ()) -> list[Element]:
    """Where the code or link would be: hidden, how to reveal it, until when, and who already did."""
    what = "reset link" if mail.secret_kind == LINK else "code"
    items: list[Element] = []
    if mail.secret and mail.secret_expires_at:
        items += [text(f"The {what} is hidden.", weight="Bolder"),
                  line(("Reveal sends it to you in a private chat with RootMail, if you belong to this team, until", 120),
                       mail.secret_expires_at, spacing="None")]
    elif mail.secret_expires_at:
        items.append(line((f"The {what} could be revealed until", 60), mail.secret_expires_at,
                          ("; it has been wiped.", 30), weight="Bolder"))
    for seen in list(reveals)[-MAX_REVEALS_SHOWN:]:
        items.append(line(("Revealed to", 20), (seen.by, t.PERSON), ("at", 5), seen.at, size="Small", spacing="None"))
    if len(reveals) > MAX_REVEALS_SHOWN:
        items.append(note(f"{len(reveals) - MAX_REVEALS_SHOWN} earlier reveals are in the audit.", spacing="None"))
    return [container(items, separator=True)] if items else []


def reveal_action(mail: InboundMail) -> list[Element]:
    if not (mail.secret and mail.secret_expires_at):
        return []
    title = "Reveal link" if mail.secret_kind == LINK else "Reveal code"
    return [execute(title, REVEAL, {"mail": t.token(mail.key, 64)}, style="positive")]


def with_banner(mail_card: Element, message: str, good: bool) -> Element:
    """The mail card as the person who pressed Reveal sees it: the outcome on top."""
    banner = container([text(message, weight="Bolder")], style="good" if good else "warning")
    return {**mail_card, "body": [banner, *mail_card["body"]]}


def quarantine_card(mail: InboundMail, record: RootAddress | None) -> Element:
    """For admins: a mail that claims to be AWS root mail but could not be verified; never shown to a channel."""
    rule = rule_for(mail.kind)
    body: list[Element] = [
        container([
            text("Quarantined: the sender could not be verified", weight="Bolder", color="Attention"),
            text(mail.verdict_reason or "RootMail could not check who sent this mail.", t.MESSAGE),
            text(UNVERIFIED_ACTION, size="Small"),
        ], style="attention"),
        heading(mail.subject or "(no subject)", t.SUBJECT),
        line(("Received", 10), mail.received_at, isSubtle=True, size="Small", spacing="None"),
        facts([("Claims to be", rule.title, t.TITLE), ("From", mail.sender or "unknown sender", t.SENDER),
               ("To", mail.address, t.ADDRESS),
               ("Owner", owner_name(record.owner) if record else "no RootMail address", 2 * t.PERSON)]),
        note("No code or link was taken out of this mail, and none is shown."),
        container([text(mail.preview or "(no text)", t.PREVIEW, multiline=True)], style="emphasis"),
    ]
    return card(body, [lookup_action(mail.address)] if record else None)


def private_secret_card(mail: InboundMail, record: RootAddress | None, secret: str, until: datetime) -> Element:
    """Only ever sent 1:1 to the person who pressed Reveal."""
    is_link = mail.secret_kind == LINK
    account = record.account_name if record else mail.address
    body: list[Element] = [
        heading("Password reset link" if is_link else "Your code from AWS"),
        facts([("Mail", mail.subject or "(no subject)", t.SUBJECT), ("Address", mail.address, t.ADDRESS),
               ("Account", account, t.ACCOUNT_NAME)]),
    ]
    actions = None
    if is_link:
        body.append(text("Open the link below to choose a new root password. Do not forward it."))
        actions = [{"type": "Action.OpenUrl", "title": "Open the reset link", "url": secret[:2000]}]
    else:
        body.append(container([text(secret, 40, size="ExtraLarge", weight="Bolder", fontType="Monospace")],
                              style="emphasis"))
    body += [line(("RootMail wipes its sealed copy at", 40), until, size="Small"),
             note("AWS may expire it sooner.", spacing="None"),
             note("Only you received this. Everyone in the owning channel sees that you revealed it, and it is in "
                  "the audit.")]
    return card(body, actions)


def audit_card(address: str, events: list[AuditEvent], more: bool) -> Element:
    body = [heading("Audit"), text(address, t.ADDRESS, fontType="Monospace", spacing="None")]
    if not events:
        body.append(note("Nothing recorded yet."))
        return card(body)
    body.append(note("Newest first. Times are in your time zone."))
    rows, left_out = fit([_audit_row(e) for e in events[:MAX_AUDIT_ROWS]], BUDGET - size(card(body)))
    body += rows
    if left_out or more or len(events) > MAX_AUDIT_ROWS:
        body.append(note("Older events are not shown here."))
    return card(body)


def _audit_row(event: AuditEvent) -> Element:
    detail = event.detail or {}
    who = detail.get("by") or event.actor or "unknown"
    what = detail.get("action") and f"{event.action} {detail['action']}" or event.action
    extra = detail.get("reason") or detail.get("account_id") or detail.get("to") or detail.get("kind") or ""
    return container([
        line(event.at, ("\u00b7", 2), (what, 40), weight="Bolder", size="Small"),
        line((f"by {who}", t.PERSON + 4), (f"\u00b7 {extra}" if extra else "", 240), size="Small", spacing="None",
             isSubtle=True),
    ], separator=True)


def transfer_request_card(record: RootAddress, to_name: str, by: str, request_id: str) -> Element:
    """Posted in the owning channel: someone wants this address to belong to another channel."""
    data = {"address": t.token(record.address), "request": t.token(request_id, 64)}
    return card([
        container([heading("Transfer requested"),
                   text(f"{by} asks to move this root address, its future mail and its codes, to {to_name}.")],
                  style="warning"),
        facts([("Address", record.address, t.ADDRESS), ("Account name", record.account_name, t.ACCOUNT_NAME),
               ("From", owner_name(record.owner), 2 * t.PERSON), ("To", to_name, 2 * t.PERSON)]),
        note("Anyone in this channel, or a RootMail admin, may decide."),
    ], [execute("Approve transfer", "transfer.approve", data, style="positive"),
        execute("Decline", "transfer.decline", data, style="destructive")])


def refusal_card(title: str, reason: str) -> Element:
    """A friendly no: what is not allowed and what to do instead."""
    return card([container([heading(title), text(reason)], style="warning"),
                 note("This refusal is recorded in RootMail's audit. Type help to see what RootMail can do.")])
