"""Which kind of AWS root mail arrived (core.intake.aws_mail_rules), and the code or link of that kind, taken out of the text."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from core.intake.aws_mail_rules import ESCALATIONS, OTHER, RULES, SEVERITIES, Rule
from core.intake.secret_finder import CODE, EXTRACTORS, LINK, Secret, is_reset_link  # noqa: F401 (re-exported)

BODY_CHARS = 4000  # body patterns look at the start of the text only: AWS puts what matters first
MAX_SUBJECT_CHARS = 1000


def classify(subject: str, text: str, rules: Iterable[Rule] = RULES, sender: str = "") -> Rule:
    """The first rule whose sender pattern matches the From address; else the first whose subject pattern matches;
    else the first whose body pattern matches the start of the text; OTHER when none does."""
    rules = tuple(rules)
    address = _address(sender)
    subject, head = subject[:MAX_SUBJECT_CHARS], text[:BODY_CHARS]
    for field, value in (("sender", address), ("subject", subject), ("body", head)):
        for rule in rules:
            patterns = getattr(rule, field)
            if value and patterns and _any_of(patterns).search(value):
                return rule
    return OTHER


def severity(rule: Rule, text: str, rules: Iterable[Rule] = RULES) -> str:
    """The rule's severity, or a higher one the text names (core.intake.aws_mail_rules.ESCALATIONS)."""
    head, found = text[:BODY_CHARS], rule.severity
    for pattern, kind in ESCALATIONS:
        other = rule_for(kind, rules)
        if SEVERITIES.index(other.severity) < SEVERITIES.index(found) and _pattern(pattern).search(head):
            found = other.severity
    return found


def _address(sender: str) -> str:
    """The address of 'Name <address>' (or a bare address), lower-cased; what sender patterns look at."""
    address = sender.rpartition("<")[2].rstrip("> \t") if "<" in sender else sender.strip()
    return address.lower() if "@" in address else ""


def rule_for(kind: str, rules: Iterable[Rule] = RULES) -> Rule:
    """The rule of a stored kind; OTHER for kinds no rule names any more."""
    return next((rule for rule in rules if rule.kind == kind), OTHER)


def extract(rule: Rule, subject: str, text: str, links: Iterable[str] = ()) -> Secret | None:
    """The secret a mail of this kind carries, or None. Call only for verified mail."""
    extractor = EXTRACTORS.get(rule.secret)
    return extractor(subject[:MAX_SUBJECT_CHARS], text, tuple(links)) if extractor else None


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@lru_cache(maxsize=512)
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One search for a rule's patterns of one field."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
