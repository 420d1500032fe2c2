"""Who may reveal the mail of a root password recovery: only the person whose request was approved, only within the
approved window. A core.intake.reveal.RevealGate: it can only refuse; whoever it lets through still has to pass
Reveal's usual rules (a member of the owning team, or an admin), so nothing that was refused before is allowed now.

AWS mails the reset link to the root e-mail when someone uses "Forgot password" on the root sign-in page
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reset-root-password.html); the one-time sign-in code AWS may send
when that person then signs in is bound the same way.
"""
from __future__ import annotations

from datetime import datetime

from core.model import InboundMail, Person
from core.root_access.book import Grant, RootBook
from core.root_access.model import Actor

BOUND_KINDS = frozenset({"password_reset", "signin_code"})  # core.intake.aws_mail_rules


class RecoveryGate:
    def __init__(self, book: RootBook):
        self.book = book

    async def refusal(self, mail: InboundMail, person: Person, now: datetime) -> str:
        grant = await self.grant_for(mail)
        if grant is None:
            return ""
        who = Actor(person.id, person.name, person.aad_object_id)
        if not who.same_as(grant.person):
            return (f"This mail belongs to the root password recovery {grant.person.name or 'someone'} asked for "
                    f"(task {grant.task}); only that person may reveal it.")
        if now > grant.until:
            return "The approved recovery window has closed; the reset link can no longer be revealed. Ask again."
        return ""

    async def grant_for(self, mail: InboundMail) -> Grant | None:
        """The recovery this mail arrived during, if it is a reset link or sign-in code."""
        if mail.kind not in BOUND_KINDS:
            return None
        grants = [g for g in await self.book.grants(mail.address) if g.covers(mail.received_at)]
        return max(grants, key=lambda g: g.opened_at) if grants else None
