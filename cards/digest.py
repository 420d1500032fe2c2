"""The digest card: many pending mails of one conversation in one post, each still revealable and looked up."""
# Every mail's block carries the element id `mail:<key>`, as does the first block of a single mail card (`tagged`):
# the posted cards themselves say which mails they carry.
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable

from cards import text as t
from cards.address import lookup_action
from cards.elements import BUDGET, Element, card, container, execute, facts, fit, heading, line, note, size, text
from cards.protection import REVEAL, SEVERITY_STYLE
from core.intake.aws_mail_rules import CRITICAL, HIGH
from core.intake.classify import LINK, rule_for
from core.delivery.lanes import Delivery
from core.model import InboundMail, MailState, RootAddress

MAX_KINDS_SHOWN = 12


@dataclass(frozen=True)
class DigestItem:
    mail: InboundMail
    record: RootAddress | None
    quarantined: bool = False


def mail_id(key: str) -> str:
    return f"mail:{key}"


def tagged(mail_card: Element, key: str) -> Element:
    """A single mail's card, its first block named after the mail."""
    body = list(mail_card.get("body") or [])
    if body:
        body[0] = {**body[0], "id": mail_id(key)}
    return {**mail_card, "body": body}


def with_repeat_note(mail_card: Element) -> Element:
    """A mail posted again after RootMail stopped while posting it: it may already be in the channel."""
    warning = container([text("Possibly a repeat: RootMail was interrupted while posting this mail, so it may "
                               "already be in this channel once.", size="Small")], style="warning")
    body = list(mail_card.get("body") or [])
    return {**mail_card, "body": body[:1] + [warning] + body[1:]}


def digest_card(items: list[DigestItem], repeat: bool = False, budget: int = BUDGET) -> tuple[Element, int]:
    """The card, and how many of `items` (from the first) it carries; the rest did not fit and wait for the next."""
    rows, _ = fit([_row(item) for item in items], budget - 2_500)  # room for the heading and the counts
    carried = items[:len(rows)]
    counts = Counter(rule_for(item.mail.kind).title if not item.quarantined else "Quarantined" for item in carried)
    kinds = [(kind, str(n)) for kind, n in counts.most_common(MAX_KINDS_SHOWN)]
    if len(counts) > MAX_KINDS_SHOWN:
        kinds.append(("Other kinds", str(sum(n for _, n in counts.most_common()[MAX_KINDS_SHOWN:]))))
    urgent = sum(1 for item in carried if item.mail.severity in (CRITICAL, HIGH))
    body: list[Element] = [
        heading(f"{len(carried)} AWS root mails in one digest"),
        note("Many mails arrived for this channel at once, so RootMail posts them together instead of one card "
             "each, which Teams would slow to a trickle. Every mail is listed; Reveal and Look up work as on "
             "a single card.", spacing="None"),
        facts(kinds),
    ]
    if urgent:
        body.append(text(f"{urgent} of them are urgent (critical or high); they are listed first.", weight="Bolder"))
    if repeat:
        body.append(note("Possibly a repeat: RootMail was interrupted while posting some of these mails, so they "
                         "may already be in this channel."))
    card_ = card(body + rows)
    while size(card_) > budget and len(rows) > 1:  # the heading was bigger than the room kept for it
        rows.pop()
        card_ = card(body + rows)
    return card_, len(rows)


def _row(item: DigestItem) -> Element:
    mail, record = item.mail, item.record
    rule = rule_for(mail.kind)
    label = "Quarantined: sender not verified" if item.quarantined else f"{rule.title} \u00b7 {mail.severity}"
    where = record.account_name if record else "address RootMail does not know"
    items: list[Element] = [
        text(label, t.TITLE, weight="Bolder", size="Small"),
        text(mail.subject or "(no subject)", t.SUBJECT, spacing="None"),
        line((mail.address, t.ADDRESS), (where, t.ACCOUNT_NAME), mail.received_at, sep=" \u00b7 ",
             isSubtle=True, size="Small", spacing="None"),
    ]
    actions = []
    if mail.secret and mail.secret_expires_at and not item.quarantined:
        title = "Reveal link" if mail.secret_kind == LINK else "Reveal code"
        actions.append(execute(title, REVEAL, {"mail": t.token(mail.key, 64), "digest": "1"}, style="positive"))
    if record is not None:
        actions.append(lookup_action(mail.address))
    if actions:
        items.append({"type": "ActionSet", "actions": actions, "spacing": "Small"})
    style = "attention" if item.quarantined else SEVERITY_STYLE.get(mail.severity, "default")
    return container(items, style=style, separator=True, id=mail_id(mail.key))


class MailCards:
    """core.delivery.courier.DeliveryCards: a mail's own card (or the admins' quarantine card), or a digest."""

    def __init__(self, render: Callable[[InboundMail, RootAddress | None], Element],
                 quarantine: Callable[[InboundMail, RootAddress | None], Element]):
        self.render, self.quarantine = render, quarantine

    def single(self, delivery: Delivery) -> Element:
        render = self.quarantine if delivery.final is MailState.QUARANTINED else self.render
        result = tagged(render(delivery.mail, delivery.record), delivery.mail.key)
        return with_repeat_note(result) if delivery.in_doubt else result

    def digest(self, deliveries: list[Delivery]) -> tuple[Element, int]:
        items = [DigestItem(d.mail, d.record, d.final is MailState.QUARANTINED) for d in deliveries]
        return digest_card(items, repeat=any(d.in_doubt for d in deliveries))
