"""Hiding what must never reach a channel in clear: links, one-time codes and secret-looking tokens.

First every place core.intake.secret_finder points at, with the patterns extraction takes secrets with (hard-wrapped
links with their tails, every code candidate, every occurrence of what an extractor would take), so redaction never
shows what extraction would seal; then the broader heuristics below for codes and tokens in any other wording.
"""
from __future__ import annotations

import re
from dataclasses import replace

from core.intake.parsed import ParsedMail
from core.intake.secret_finder import EXTRACTORS, LINK, code_spans, links, occurrences

LINK_HIDDEN = "[link hidden]"
CODE_HIDDEN = "[code hidden]"

# "Verification code: 1234", "Your AWS verification code is 123456", "PIN 1234", "code:\n\n A7K2QZ".
# The candidate must look like a code: digits (optionally 123 456 / 123-456), or upper-case letters
# and digits, or mixed letters with at least one digit; plain lower-case words ("code expires") are not codes.
_CODE_CONTEXT = re.compile(
    r"(?i)(?<!\[)\b(?:codes?|passcode|pin|otp|one[- ]time (?:password|passcode|pin)|password|token)"
    r"(?P<glue>(?:\s++(?:is|was|will be))?+\s*+[:=#-]?\s*+)"  # possessive: no backtracking on long blanks
    r"(?-i:(?P<code>\d{3}[ -]\d{3}(?!\w)|[A-Za-z0-9]{4,10}(?![\w@-])))")
# Words before "code" that make it something else than a secret (an error or postal code, for example).
_NOT_SECRET = frozenset({
    "zip", "postal", "post", "area", "country", "error", "status", "exit", "response", "return", "reason",
    "region", "product", "service", "currency", "language", "source", "tax", "sort", "swift", "bank",
    "iso", "http", "qr", "bar", "color", "colour", "airport", "dial"})
_WORD_BEFORE = re.compile(r"(\w+)\W*$")

# A bare six-digit number that is not part of a larger number, an amount, a date or a percentage.
_SIX_DIGITS = re.compile(r"(?<![\w$€£¥#.,/+@-])\d{6}(?![\w%@]|[.,:/-]\d)")
# A bare six-character upper-case letters+digits code (AWS primary-e-mail-update codes look like A7K2QZ).
_SIX_ALNUM = re.compile(r"(?<![\w#.:/@-])(?=[A-Z0-9]{6}(?![\w@-]|\.\w))(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*\d)[A-Z0-9]{6}")
# A six-character code alone on its line, as AWS lays out primary-e-mail-update codes, even if all letters.
_CODE_LINE = re.compile(r"(?m)^([ \t]*)[A-Z0-9]{6}([ \t]*)$")
_TECH_WORDS = frozenset({"SHA256", "SHA384", "SHA512", "RFC822", "BASE64"})

# Long opaque tokens (a reset token split off its link by line wrapping, a secret key): 32+ characters of
# base64url alphabet with a random-looking stretch of 16+ characters (mixed case and digits, or hexadecimal).
# "/" and the stretch rule keep ARN paths and identifiers such as AWS_EC2_INSTANCE_RETIREMENT_7a1b readable.
_TOKEN = re.compile(r"(?<![\w+=%~-])[A-Za-z0-9_+=%~-]{32,}(?![\w+=%~-])")
_TOKEN_STRETCH = re.compile(r"[A-Za-z0-9]{16,}")
_HEX = re.compile(r"[0-9a-fA-F]+")


def redact(text: str) -> str:
    """The text with links, one-time codes and secret-looking tokens replaced by placeholders."""
    text = _hide_spans(text, _secret_spans(text))
    text = _CODE_CONTEXT.sub(_hide_context_code, text)
    text = _SIX_DIGITS.sub(CODE_HIDDEN, text)
    text = _SIX_ALNUM.sub(lambda m: m[0] if m[0] in _TECH_WORDS else CODE_HIDDEN, text)
    text = _CODE_LINE.sub(lambda m: m[0] if m[0].strip() in _TECH_WORDS else m[1] + CODE_HIDDEN + m[2], text)
    return _TOKEN.sub(_hide_token, text)


def redact_mail(mail: ParsedMail) -> ParsedMail:
    """The mail as it may be stored for posting: subject and text redacted, everything else unchanged."""
    return replace(mail, subject=redact(mail.subject), text=redact(mail.text))


def _secret_spans(text: str) -> list[tuple[int, int, str]]:
    spans = [(start, end, LINK_HIDDEN) for start, end, _ in links(text)]
    spans += [(start, end, CODE_HIDDEN) for start, end in code_spans(text)]
    for extract in EXTRACTORS.values():
        secret = extract("", text, ())
        if secret is not None:
            shown = LINK_HIDDEN if secret.kind == LINK else CODE_HIDDEN
            spans += [(start, end, shown) for start, end in occurrences(secret, text)]
    return spans


def _hide_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Each run of overlapping spans becomes one placeholder (a link's, if a link is among them)."""
    out, pos = [], 0
    for start, end, shown in sorted(spans):
        if start < pos:  # overlaps the run just hidden: widen it
            if end > pos:
                out[-1] = (out[-1][0], end, LINK_HIDDEN if LINK_HIDDEN in (out[-1][2], shown) else out[-1][2])
                pos = end
            continue
        out.append((start, end, shown))
        pos = end
    pieces, last = [], 0
    for start, end, shown in out:
        pieces += [text[last:start], shown]
        last = end
    return "".join(pieces) + text[last:]


def _hide_context_code(match: re.Match[str]) -> str:
    keyword = match[0][: match.start("glue") - match.start()].lower()
    before = _WORD_BEFORE.search(match.string[max(0, match.start() - 40):match.start()])
    if keyword.startswith("code") and before and before[1].lower() in _NOT_SECRET:
        return match[0]
    if not _looks_like_code(match["code"], letters_allowed=keyword not in ("password", "token")):
        return match[0]
    return match[0][: match.start("code") - match.start()] + CODE_HIDDEN


def _looks_like_code(candidate: str, letters_allowed: bool) -> bool:
    """Digits in it, or (after code/PIN/OTP) all upper-case letters; 'code expires' is not a code."""
    if any(ch.isdigit() for ch in candidate):
        return True
    return letters_allowed and candidate.isupper()


def _hide_token(match: re.Match[str]) -> str:
    return CODE_HIDDEN if any(map(_random_looking, _TOKEN_STRETCH.findall(match[0]))) else match[0]


def _random_looking(stretch: str) -> bool:
    has_digit = any(c.isdigit() for c in stretch)
    mixed_case = any(c.islower() for c in stretch) and any(c.isupper() for c in stretch)
    hexadecimal = _HEX.fullmatch(stretch) is not None and not stretch.isdigit() and has_digit
    return has_digit and mixed_case or hexadecimal
