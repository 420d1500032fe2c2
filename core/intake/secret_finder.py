"""Where AWS puts a code or a link in a mail's text, as patterns: extraction takes a secret with them, redaction hides
every place they point at, so nothing extraction would seal is ever left readable.

Layouts seen in AWS mail (tests/mails/real): "Verification code: 482913", "code:-516483", "code=#928177", "your code
is 123 456", the code alone on its line or in its own HTML element, digits spread over several short lines, and
reset links that a plain-text part hard-wraps over several lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator
from urllib.parse import urlsplit

CODE, LINK = "code", "link"
SPREAD = r"(?:[ \t-]|\r?\n)?"  # what may stand between the characters of a code that is still readable as one


@dataclass(frozen=True)
class Secret:
    kind: str  # CODE | LINK
    value: str


# --- codes --------------------------------------------------------------------------------------------------------
_KEYWORD = r"\b(?:code|passcode|otp|pin)\b"
_GLUE = r"(?:\s++(?:is|was))?+[\s:=#-]{0,6}+"  # possessive: no backtracking on long blanks
DIGITS_AFTER_WORD = re.compile(rf"(?i){_KEYWORD}{_GLUE}(\d{{3}}[ -]?\d{{3}})(?![\d-])")
DIGITS_ALONE = re.compile(r"(?m)^[ \t]*(\d{6})[ \t]*$")
# six digits one by one (an HTML layout with a cell per digit): "code 4 8 2 9 1 3" or one digit per line
DIGITS_SPREAD = re.compile(
    rf"(?i){_KEYWORD}[^\n\d]{{0,40}}+(?:\n[^\n\d]{{0,40}}+)?+((?:\d[ \t]*+\r?\n?[ \t]*+){{5}}\d)(?!\d)")
# primary e-mail update codes: 6 upper-case letters and digits, alone on their line or right after "code"
UPDATE_ALONE = re.compile(r"(?m)^[ \t]*([A-Z0-9]{6})[ \t]*$")
UPDATE_AFTER_WORD = re.compile(rf"(?i:\bcode\b){_GLUE}([A-Z0-9]{{6}})(?![\w-])")
NOT_CODES = frozenset({"SHA256", "SHA384", "SHA512", "RFC822", "BASE64", "BILLED", "AMAZON", "SIGNIN"})

# --- links --------------------------------------------------------------------------------------------------------
LINK_PATTERN = re.compile(r"(?i)\bhttps?://[^\s<>\"'`]+")
LINK_TAIL = ".,;:!?)]}*'\""
# A plain-text part may hard-wrap a long link: the next line continues it when it is one unbroken run of URL
# characters that looks like a token's tail (it holds a digit or one of = & % / _ -), not a word such as "Thanks".
_CONTINUATION = re.compile(r"\r?\n([A-Za-z0-9\-._~%!$&'()*+,;=:@/?#\[\]]+)(?=\r?\n|$)")
_URLISH = re.compile(r"[\d=&%/_-]")
WRAP_MIN = 40  # a link line shorter than this was not wrapped by a mail client
# Where AWS's root sign-in pages live: a link anywhere else is never offered for Reveal.
SIGNIN_HOSTS = ("signin.aws.amazon.com", "signin.aws")


def matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match, overlapping ones included: "code:\\n\\ncode: QWERTY" must not let the first keyword hide the second."""
    pos = 0
    while (found := pattern.search(text, pos)) is not None:
        yield found
        pos = found.start() + 1


def links(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, url) of every link; a hard-wrapped one spans its continuation lines and is joined again."""
    for found in LINK_PATTERN.finditer(text):
        url, end = found[0], found.end()
        while len(url) >= WRAP_MIN and (more := _CONTINUATION.match(text, end)) and _URLISH.search(more[1]):
            url, end = url + more[1], more.end()
        kept = url.rstrip(LINK_TAIL)
        if url.endswith(")") and "(" in kept:  # a link that itself ends in a bracketed part, as on Wikipedia
            kept = url
        yield found.start(), end - (len(url) - len(kept)), kept


def is_signin_link(url: str, word: str = "") -> bool:
    """An https link on AWS's sign-in hosts (with `word` in its path or query, when given)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    on_aws = any(host == h or host.endswith("." + h) for h in SIGNIN_HOSTS)
    return parts.scheme == "https" and on_aws and word in (parts.path + "?" + parts.query).lower()


def is_reset_link(url: str) -> bool:
    return is_signin_link(url, "reset")


# --- extractors: the first acceptable candidate ---------------------------------------------------------------------
def _digits(subject: str, text: str, hrefs: tuple[str, ...]) -> Secret | None:
    for source in (text, subject):
        for pattern in (DIGITS_AFTER_WORD, DIGITS_ALONE, DIGITS_SPREAD):
            found = pattern.search(source)
            if found:
                return Secret(CODE, re.sub(r"\D", "", found[1]))
    return None


def _update_code(subject: str, text: str, hrefs: tuple[str, ...]) -> Secret | None:
    for pattern in (UPDATE_ALONE, UPDATE_AFTER_WORD):
        for found in matches(pattern, text):
            code = found[1]
            if code in NOT_CODES:
                continue
            # an all-letter candidate counts only shortly after the text talks about a code
            if any(c.isdigit() for c in code) or "code" in text[max(0, found.start(1) - 200):found.start(1)].lower():
                return Secret(CODE, code)
    return None


def _link(accept: Callable[[str], bool]) -> Callable[[str, str, tuple[str, ...]], Secret | None]:
    def extract(subject: str, text: str, hrefs: tuple[str, ...]) -> Secret | None:
        for url in [url for _, _, url in links(text)] + [h.rstrip(LINK_TAIL) for h in hrefs]:
            if accept(url):
                return Secret(LINK, url)
        return None
    return extract


EXTRACTORS: dict[str, Callable[[str, str, tuple[str, ...]], Secret | None]] = {
    "digits": _digits, "update-code": _update_code, "reset-link": _link(is_reset_link),
    "verify-link": _link(is_signin_link),  # root MFA recovery: the mail's one link on AWS's sign-in host
}


# --- redaction: every place a pattern points at ---------------------------------------------------------------------
def code_spans(text: str) -> list[tuple[int, int]]:
    """Where any code pattern finds a candidate, accepted by its extractor or not."""
    spans = []
    for pattern in (DIGITS_AFTER_WORD, DIGITS_ALONE, DIGITS_SPREAD, UPDATE_AFTER_WORD):
        spans += [found.span(1) for found in matches(pattern, text)]
    spans += [found.span(1) for found in UPDATE_ALONE.finditer(text) if found[1] not in NOT_CODES]
    return spans


def occurrences(secret: Secret, text: str) -> list[tuple[int, int]]:
    """Every place the secret's value stands in the text, a code also with a space, hyphen or line break between its
    characters ("482 913", "4-8-2-9-1-3", one character per line)."""
    if not secret.value:
        return []
    if secret.kind == LINK:
        return [m.span() for m in re.finditer(re.escape(secret.value), text)]
    spread = SPREAD.join(re.escape(c) for c in secret.value)  # no word boundaries: "x482913" shows it as well
    return [m.span() for m in re.finditer(spread, text)]
