"""What RootMail learns from a mail at arrival: its kind, whether AWS really sent it, and its sealed secret."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.intake.account_ids import account_id_in
from core.intake.aws_mail_rules import OTHER, Rule
from core.intake.classify import Secret, classify, extract, severity
from core.intake.parsed import ParsedMail
from core.intake.secrets_box import SecretBox
from core.intake.sender_trust import TrustPolicy, Verdict, verify_sender

logger = logging.getLogger(__name__)

VERIFIED, UNVERIFIED = "verified", "unverified"
DEFAULT_REVEAL_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Inspection:
    rule: Rule
    verdict: Verdict
    secret: Secret | None = field(default=None, repr=False)
    severity: str = ""  # the rule's, or higher when the body says the account is compromised, suspended or at risk
    account_id: str = ""  # the AWS account id a verified mail names

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", self.rule.severity)

    @property
    def verdict_name(self) -> str:
        return VERIFIED if self.verdict.verified else UNVERIFIED


@dataclass(frozen=True)
class Sealed:
    value: str = field(repr=False)
    kind: str
    expires_at: datetime


@dataclass
class Inspector:
    """Classifies every mail, verifies its sender, and takes the secret out of verified mail only.

    Without a trust policy nothing verifies; without a box secrets are not kept (the card says so)."""

    trust: TrustPolicy = field(default_factory=TrustPolicy)
    box: SecretBox | None = None
    reveal_window: timedelta = DEFAULT_REVEAL_WINDOW

    def inspect(self, mail: ParsedMail) -> Inspection:
        rule = classify(mail.subject, mail.text, sender=mail.sender)
        level = severity(rule, mail.text)
        verdict = verify_sender(mail.headers, mail.sender, self.trust)
        if not verdict.verified:
            return Inspection(rule, verdict, severity=level)
        return Inspection(rule, verdict, extract(rule, mail.subject, mail.text, mail.links), level,
                          account_id_in(mail.subject, mail.text) or "")

    def seal(self, inspection: Inspection, context: str, now: datetime) -> Sealed | None:
        """The secret sealed for one stored mail (the context binds it there), or None."""
        if inspection.secret is None or not inspection.verdict.verified:
            return None
        if self.box is None:
            logger.warning("no secret box configured; a code is not kept for Reveal")
            return None
        value = self.box.seal(inspection.secret.value, context)
        return Sealed(value, inspection.secret.kind, now + self.reveal_window)


def secret_context(mail_key: str) -> str:
    return f"rootmail-mail:{mail_key}"


def uninspected(reason: str) -> Inspection:
    return Inspection(OTHER, Verdict(False, reason))
