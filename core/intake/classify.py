"""Which kind of AWS root mail arrived (core.intake.aws_mail_rules), and the code or link of that kind, taken out of the text."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable
from urllib.parse import urlsplit

from core.intake.aws_mail_rules import OTHER, RULES, Rule

BODY_CHARS = 4000  # body patterns look at the start of the text only: AWS puts what matters first
MAX_SUBJECT_CHARS = 1000

CODE, LINK = "code", "link"


@dataclass(frozen=True)
class Secret:
    kind: str  # CODE | LINK
    value: str


def classify(subject: str, text: str, rules: Iterable[Rule] = RULES) -> Rule:
    """The first rule whose subject (or body) pattern matches; OTHER when none does."""
    subject, head = subject[:MAX_SUBJECT_CHARS], text[:BODY_CHARS]
    for rule in rules:
        if any(_pattern(p).search(subject) for p in rule.subject):
            return rule
        if rule.body and any(_pattern(p).search(head) for p in rule.body):
            return rule
    return OTHER


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


# --- extractors ---------------------------------------------------------------------------------------------------
# "Verification code: 482913", "your code is 482 913", or the code alone on its line, as AWS lays them out.
_DIGITS_AFTER_WORD = re.compile(
    r"(?i)\b(?:code|passcode|otp|pin)\b(?:\s++(?:is|was))?+[\s:=#-]{0,6}+(\d{3}[ -]?\d{3})(?![\d-])")
_DIGITS_ALONE = re.compile(r"(?m)^[ \t]*(\d{6})[ \t]*$")
# Primary e-mail update codes: 6 upper-case letters and digits, alone on their line or right after "code".
_UPDATE_ALONE = re.compile(r"(?m)^[ \t]*([A-Z0-9]{6})[ \t]*$")
_UPDATE_AFTER_WORD = re.compile(r"(?i:\bcode\b)(?:\s++(?:is|was))?+[\s:=#-]{0,6}+([A-Z0-9]{6})(?![\w-])")
_NOT_CODES = frozenset({"SHA256", "SHA384", "SHA512", "RFC822", "BASE64", "BILLED", "AMAZON", "SIGNIN"})
_LINK = re.compile(r"(?i)\bhttps://[^\s<>\"'`]+")
_LINK_TAIL = ".,;:!?)]}*'\""
# Where AWS's root password reset links point; a link anywhere else is never offered for Reveal.
RESET_HOSTS = ("signin.aws.amazon.com", "signin.aws")


def _digits(subject: str, text: str, links: tuple[str, ...]) -> Secret | None:
    for source in (text, subject):
        found = _DIGITS_AFTER_WORD.search(source) or _DIGITS_ALONE.search(source)
        if found:
            return Secret(CODE, re.sub(r"[ -]", "", found[1]))
    return None


def _update_code(subject: str, text: str, links: tuple[str, ...]) -> Secret | None:
    for pattern in (_UPDATE_ALONE, _UPDATE_AFTER_WORD):
        for found in pattern.finditer(text):
            code = found[1]
            if code in _NOT_CODES:
                continue
            # an all-letter candidate counts only shortly after the text talks about a code
            if any(c.isdigit() for c in code) or "code" in text[max(0, found.start(1) - 200):found.start(1)].lower():
                return Secret(CODE, code)
    return None


def _reset_link(subject: str, text: str, links: tuple[str, ...]) -> Secret | None:
    candidates = [m[0] for m in _LINK.finditer(text)] + list(links)
    for url in candidates:
        url = url.rstrip(_LINK_TAIL)
        if is_reset_link(url):
            return Secret(LINK, url)
    return None


def is_reset_link(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    on_aws = any(host == h or host.endswith("." + h) for h in RESET_HOSTS)
    return parts.scheme == "https" and on_aws and "reset" in (parts.path + "?" + parts.query).lower()


EXTRACTORS: dict[str, Callable[[str, str, tuple[str, ...]], Secret | None]] = {
    "digits": _digits, "update-code": _update_code, "reset-link": _reset_link,
}
