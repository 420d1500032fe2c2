"""Cards of root mail protection: what kind of mail it is, Reveal, the quarantine, the private code, audit, transfer."""
from __future__ import annotations

from datetime import datetime

from cards import text as t
from cards.address import lookup_action, owner_name
from cards.elements import (BUDGET, Element, card, container, execute, facts, fit, heading, line, note, refreshable,
                            size, text)
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
            text("Quarantined: the sender could not be verified", weight="Bolder"),
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
    body: list[Element] = [heading("Password reset link" if is_link else "Your code from AWS"),
                           *_which_mail(mail, record)]
    actions = None
    if is_link:
        body.append(text("Open the link below to choose a new root password. Do not forward it."))
        actions = [{"type": "Action.OpenUrl", "title": "Open the reset link", "url": secret[:2000]}]
    else:
        body.append(container([text(secret, 40, size="ExtraLarge", weight="Bolder", fontType="Monospace")],
                              style="emphasis"))
    body += [line(("RootMail removes it from this chat and wipes its sealed copy at", 80), until, size="Small"),
             note("AWS may expire it sooner.", spacing="None"),
             note("Only you received this. Everyone in the owning channel sees that you revealed it, and it is in "
                  "the audit.")]
    return card(body, actions)


def _which_mail(mail: InboundMail, record: RootAddress | None) -> list[Element]:
    """Subject, address, account and arrival time: two mails with the same subject are told apart."""
    account = record.account_name if record else mail.address
    return [facts([("Mail", mail.subject or "(no subject)", t.SUBJECT), ("Address", mail.address, t.ADDRESS),
                   ("Account", account, t.ACCOUNT_NAME)]),
            line(("Received", 10), mail.received_at, isSubtle=True, size="Small", spacing="None")]


def private_wiped_card(mail: InboundMail, record: RootAddress | None) -> Element:
    """What the private card becomes when the reveal window closes: the mail it came from, without the secret."""
    what = "reset link" if mail.secret_kind == LINK else "code"
    return card([heading(f"The {what} from AWS is gone"), *_which_mail(mail, record),
                 text(f"RootMail wiped this {what} when its reveal window closed, here and in its store. If you still "
                      "need one, ask AWS for a new one."),
                 note("The audit of the address keeps who revealed it and when.")])


# What each audit event means, in words (the stored action names are for machines).
EVENT_WORDS = {
    "allocate": "Address given out", "link": "Linked to an AWS account", "retire": "Retired",
    "transfer": "Moved to another conversation", "transfer-requested": "Move requested",
    "transfer-declined": "Move declined", "tag": "Tags changed", "reveal": "Code or link revealed privately",
    "reveal-failed": "Reveal could not be delivered", "refused": "Refused", "quarantine": "Mail quarantined",
    "adopt-code-requested": "Adoption: code requested from AWS", "adopt-code-consumed": "Adoption: code used",
    "adopt-code-ignored": "Adoption: code mail set aside", "adopt-code-rejected": "Adoption: AWS rejected the code",
    "adopt-done": "Adopted from an existing AWS account", "adopt-failed": "Adoption failed",
    "adopt-run": "Adoption started", "adopt-run-finished": "Adoption finished",
    "reveal-refused": "Reveal refused", "duplicate-message-id": "A second mail reused a known Message-ID",
    "root-task-requested": "Root task requested", "root-task-approved": "Root task approved",
    "root-task-declined": "Root task declined", "root-task-withdrawn": "Root task withdrawn",
    "root-task-expired": "Root task expired without approval", "root-task-done": "Root task done",
    "root-task-failed": "Root task failed", "root-recovery-closed": "Root password recovery window closed",
}
REFUSED_WORDS = {"reveal": "reveal a code", "link": "link", "retire": "retire", "audit": "read the audit",
                 "transfer": "decide a transfer", "new": "ask for an address", "use": "use RootMail",
                 "adopt": "adopt accounts", "full mail": "read the full mail"}


def audit_card(address: str, events: list[AuditEvent], more: bool, names: dict[str, str] | None = None) -> Element:
    """Who did what, newest first, in words; `names` turns object ids and conversation ids into names."""
    body = [heading("Audit"), text(address, t.ADDRESS, fontType="Monospace", spacing="None")]
    if not events:
        body.append(note("Nothing recorded yet."))
        return card(body)
    body.append(note("Newest first. Times are in your time zone."))
    rows, left_out = fit([_audit_row(e, names or {}) for e in events[:MAX_AUDIT_ROWS]], BUDGET - size(card(body)))
    body += rows
    if left_out or more or len(events) > MAX_AUDIT_ROWS:
        body.append(note("Older events are not shown here."))
    return card(body)


def event_words(event: AuditEvent) -> str:
    detail = event.detail or {}
    if event.action == "refused":
        tried = str(detail.get("action") or "")
        return f"Refused: {REFUSED_WORDS.get(tried, tried or 'an action')}"
    return EVENT_WORDS.get(event.action, event.action.replace("-", " ").capitalize())


def _audit_row(event: AuditEvent, names: dict[str, str]) -> Element:
    detail = event.detail or {}
    who = names.get(event.actor) or detail.get("by") or ("RootMail" if event.actor == "rootmail" else event.actor)
    extra = (detail.get("reason") or detail.get("account_id") or _place(detail.get("to"), names)
             or detail.get("kind") or "")
    return container([
        line(event.at, ("\u00b7", 2), (event_words(event), 60), weight="Bolder", size="Small"),
        line((f"by {who or 'unknown'}", t.PERSON + 4), (f"\u00b7 {extra}" if extra else "", 240), size="Small",
             spacing="None", isSubtle=True),
    ], separator=True)


def _place(value: object, names: dict[str, str]) -> str:
    """A conversation the event names (`to` of a transfer), by its name when RootMail knows it."""
    if not value:
        return ""
    return f"to {names.get(str(value)) or value}"


TRANSFER = "transfer"  # the view bot.views renders again on refresh


def transfer_request_card(record: RootAddress, to_name: str, by: str, request_id: str,
                          may_decide: bool = True) -> Element:
    """Posted in the owning channel: someone wants this address to belong to another channel. Approve and Decline
    only for those who may decide (everyone's view has them; a refresh drops them for anyone else)."""
    data = {"address": t.token(record.address), "request": t.token(request_id, 64),
            "in": t.token(record.owner.conversation_id)}  # where the request is asked: its card stays there
    body = [
        container([heading("Transfer requested"),
                   text(f"{by} asks to move this root address, its future mail and its codes, to {to_name}.")],
                  style="warning"),
        facts([("Address", record.address, t.ADDRESS), ("Account name", record.account_name, t.ACCOUNT_NAME),
               ("From", owner_name(record.owner), 2 * t.PERSON), ("To", to_name, 2 * t.PERSON)]),
        note("Anyone in this channel, or a RootMail admin, may decide." if may_decide else
             "The channel that owns the address, or a RootMail admin, decides."),
    ]
    actions = [execute("Approve transfer", "transfer.approve", data, style="positive"),
               execute("Decline", "transfer.decline", data, style="destructive")] if may_decide else None
    return refreshable(card(body, actions), {"view": TRANSFER, **data})


def transfer_decided_card(address: str, to_name: str, approved: bool, by: str, at: datetime | None) -> Element:
    """What a transfer request becomes once decided (or replaced by a newer one), for everyone."""
    outcome = "approved" if approved else "declined"
    body = [container([heading(f"Transfer {outcome}"),
                       text(f"{by} {outcome} moving {address} to {to_name}." if by else
                            f"Moving {address} to {to_name} was {outcome}.")],
                      style="good" if approved else "default"),
            facts([("Address", address, t.ADDRESS), ("To", to_name, 2 * t.PERSON)])]
    if at is not None:
        body.append(line(("Decided", 10), at, isSubtle=True, size="Small", spacing="None"))
    return card(body)


def refusal_card(title: str, reason: str) -> Element:
    """A friendly no: what is not allowed and what to do instead."""
    return card([container([heading(title), text(reason)], style="warning"),
                 note("This refusal is recorded in RootMail's audit. Type help to see what RootMail can do.")])
