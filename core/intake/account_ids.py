"""The AWS account id a mail names ("[Account: 123456789012]", "AWS Account ID: ...", an ARN), read out of the text.

Only verified mail is read (core.intake.inspection): an id in a forged mail would offer a one-click link to an
account the attacker chose. An id counts when "account" (or "AWS ID") stands just before it or when it is the account
field of an ARN; a 12-digit number anywhere else (a case, an invoice, a phone number) is not taken for one.
"""
from __future__ import annotations

import re

HEAD_CHARS = 4000
_ID = re.compile(r"(?<![\d-])(\d{4})(-?)(\d{4})\2(\d{4})(?![\d-])")
_BEFORE = re.compile(r"(?i)(?:\baccount(?:\s+(?:id|number|no\.?))?|\baws\s+id)\s*[:#]?\s*$")
_ARN = re.compile(r"\barn:aws[\w-]*:[\w-]*:[\w-]*:(\d{12}):")
CONTEXT_CHARS = 30


def account_id_in(subject: str, text: str) -> str | None:
    """The first AWS account id the subject, else the start of the text, names; None when it names none."""
    for source in (subject[:1000], text[:HEAD_CHARS]):
        found = _first(source)
        if found:
            return found
    return None


def _first(source: str) -> str | None:
    candidates = []
    for match in _ID.finditer(source):
        before = source[max(0, match.start() - CONTEXT_CHARS):match.start()]
        if _BEFORE.search(before):
            candidates.append((match.start(), match[1] + match[3] + match[4]))
    candidates += [(match.start(1), match[1]) for match in _ARN.finditer(source)]
    return min(candidates)[1] if candidates else None
