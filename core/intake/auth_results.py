"""Authentication-Results (RFC 8601) read the way the RFC writes it: comments and quoted strings are atomic.

A header is `authserv-id [version] ; resinfo ; resinfo ...`, each resinfo `method[/version] = result [reason=value]
[ptype.property=value ...]`, where a value may be a quoted-string and CFWS (comments in parentheses, which nest) may
stand between any two tokens (RFC 8601 section 2.2, RFC 5322 section 3.2). A sender controls some of those values (a
DKIM selector, the `i=` identity, the local part of smtp.mailfrom) and any comment text the boundary copies; so a `;`,
`=` or a whole `dkim=pass` inside quotes or parentheses is data, never a separator or a result of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

MAX_HEADER_CHARS = 8000
MAX_NESTING = 20  # deeper comments are unusual enough to stop reading: what follows stays inside the comment

WORD, QUOTED, SPECIAL = "word", "quoted", "special"
_SPECIALS = ";="
_STOPS = set(' \t\r\n();="')


@dataclass(frozen=True)
class AuthResult:
    method: str
    result: str
    props: dict[str, str]


def parse_authentication_results(value: str) -> tuple[str, list[AuthResult]]:
    """(authserv-id, results) of one header value. A first part that already holds a result has no authserv-id
    (Exchange Online writes them so): id ''. Whatever cannot be read as a result is left out, never guessed at."""
    parts = _split(list(_tokens(value[:MAX_HEADER_CHARS])))
    authserv = ""
    if parts and not any(kind == SPECIAL and text == "=" for kind, text in parts[0]):
        authserv = parts[0][0][1] if parts[0] and parts[0][0][0] == WORD else ""
        parts = parts[1:]
    return authserv, [result for result in map(_result, parts) if result]


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    """Words, quoted strings (unescaped) and the specials `;` and `=`; comments and white space are dropped.
    An unterminated quoted string or comment runs to the end of the header, so it can only hide what follows."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
        elif c == "(":
            i = _skip_comment(text, i)
        elif c == '"':
            quoted, i = _quoted(text, i)
            yield QUOTED, quoted
        elif c in _SPECIALS:
            yield SPECIAL, c
            i += 1
        elif c == ")":  # a stray closing parenthesis is not a token
            i += 1
        else:
            start = i
            while i < n and text[i] not in _STOPS:
                i += 1
            yield WORD, text[start:i]


def _skip_comment(text: str, i: int) -> int:
    depth = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
            if depth > MAX_NESTING:
                return len(text)
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def _quoted(text: str, i: int) -> tuple[str, int]:
    out, i = [], i + 1
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if c == '"':
            return "".join(out), i + 1
        out.append(c)
        i += 1
    return "".join(out), i


def _split(tokens: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    parts: list[list[tuple[str, str]]] = [[]]
    for token in tokens:
        if token == (SPECIAL, ";"):
            parts.append([])
        else:
            parts[-1].append(token)
    return [part for part in parts if part]


def _result(part: list[tuple[str, str]]) -> AuthResult | None:
    """`method = result` then `key = value` pairs; a resinfo that does not start that way is not a result."""
    if len(part) < 3 or part[0][0] != WORD or part[1] != (SPECIAL, "=") or part[2][0] != WORD:
        return None
    method, result = part[0][1].split("/")[0].lower(), part[2][1].lower()
    props: dict[str, str] = {}
    i = 3
    while i + 2 < len(part):
        key, equals, val = part[i], part[i + 1], part[i + 2]
        if key[0] == WORD and equals == (SPECIAL, "=") and val[0] in (WORD, QUOTED):
            props.setdefault(key[1].lower(), val[1].lower())
            i += 3
        else:
            i += 1
    return AuthResult(method, result, props)
