"""Raw RFC 5322 bytes to core.intake.ingest.ParsedMail with the stdlib email package; never raises, whatever the bytes."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape
from typing import Any, Callable, Iterator, TypeVar

from core.intake.ingest import fallback_message_id
from core.intake.parsed import ParsedMail
from mail.html_text import html_to_text

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 20_000
MAX_PARSE_BYTES = 4 * 1024 * 1024  # text bodies come first; a 10 MB mail is mostly attachment
MAX_HTML_CHARS = 500_000  # html.parser costs ~3 s per million characters of tag soup
MAX_HEADER_CHARS = 2_000
MAX_HEADER_VALUES = 50
MAX_PARTS, MAX_DEPTH, MAX_DEFECTS = 200, 20, 50
KEPT_HEADERS = frozenset({
    "from", "sender", "reply-to", "to", "cc", "delivered-to", "x-original-to", "return-path", "message-id",
    "date", "subject", "authentication-results", "arc-authentication-results", "received-spf", "dkim-signature"})

_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_DKIM_TAG = re.compile(r"(?:^|;)\s*([ds])\s*=\s*([^;\s]*)")
_ANGLE_ADDR = re.compile(r"^(.*)<([^<>]*)>\s*$")
_BLANK_LINES = re.compile(r"\n{3,}")
_HREF = re.compile(r"""(?i)\bhref\s*=\s*["']?\s*(https://[^"'\s<>]{1,2000})""")
MAX_LINKS = 50
_ASCII_ALIASES = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968", "unknown-8bit", "x-unknown", "default"})
T = TypeVar("T")


def parse_message(raw: bytes, max_text_chars: int = MAX_TEXT_CHARS,
                  max_parse_bytes: int = MAX_PARSE_BYTES) -> ParsedMail:
    """The mail as RootMail needs it; problems end up in `defects`, never in an exception.

    `text` is the readable body (plain text preferred, else HTML converted), not redacted,
    at most `max_text_chars` long. Only the first `max_parse_bytes` of the message are parsed.
    """
    data = _as_bytes(raw)
    problems: list[str] = []
    for headers_only in (False, True):
        try:
            return _parse(data, max_text_chars, max_parse_bytes, headers_only, problems)
        except Exception as error:  # RecursionError on absurd nesting, or a stdlib bug on odd bytes
            logger.warning("mail parse failed", extra={"error": type(error).__name__, "headers_only": headers_only})
            problems = [f"body not parsed: {type(error).__name__}"]
    return ParsedMail(message_id=fallback_message_id(data), sender="", subject="", date=None, text="",
                      size=len(data), defects=("unparseable message",))


def _as_bytes(raw: Any) -> bytes:
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    try:
        return bytes(raw)
    except Exception:
        return b""


def _parse(data: bytes, max_text_chars: int, max_parse_bytes: int, headers_only: bool,
           problems: list[str]) -> ParsedMail:
    defects = list(problems)
    if len(data) > max_parse_bytes:
        defects.append(f"message truncated to {max_parse_bytes} bytes for parsing")
    msg = BytesParser(policy=policy.default).parsebytes(data[:max_parse_bytes], headersonly=headers_only)
    headers, firsts = _headers(msg, defects)
    message_id = _first(headers, "message-id")
    if not message_id:
        defects.append("missing Message-ID")
        message_id = fallback_message_id(data)
    sender = _sender(_first(headers, "from"), firsts.get("from"))
    if not sender:
        defects.append("missing From")
    text, links = ("", ()) if headers_only else _body_text(msg, max_text_chars, defects)
    return ParsedMail(message_id=message_id, sender=sender, subject=_first(headers, "subject"),
                      date=_date(_first(headers, "date"), defects), text=text, size=len(data),
                      headers=headers, defects=tuple(dict.fromkeys(defects))[:MAX_DEFECTS], links=links)


def one_line(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """A header value safe to show: no CR/LF or other control or bidi characters, whitespace collapsed."""
    return " ".join(_LINE_BREAKING.sub(" ", _unsurrogate(value)).split())[:limit]


def _unsurrogate(text: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes: read them as UTF-8, else Latin-1."""
    if text.isascii():
        return text
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _safe(call: Callable[[], T], default: T) -> T:
    try:
        return call()
    except Exception:
        return default


# --- headers ----------------------------------------------------------------------------------------
def _headers(msg: Message, defects: list[str]) -> tuple[dict[str, list[str]], dict[str, tuple[str, Any]]]:
    """Kept headers, decoded and one line each, plus (raw value, policy-parsed header or None) of the first of each."""
    values: dict[str, list[str]] = {}
    firsts: dict[str, tuple[str, Any]] = {}
    defects.extend(type(d).__name__ for d in msg.defects)
    for name, raw in msg.raw_items():
        key = one_line(str(name)).lower()
        if key not in KEPT_HEADERS or len(values.get(key, ())) >= MAX_HEADER_VALUES:
            continue
        raw = str(raw)[: MAX_HEADER_CHARS * 8]
        if key == "message-id":  # used verbatim, like Graph's internetMessageId; encoded words do not apply
            text, parsed = one_line(raw), raw
        else:
            text, parsed = _decode_header(key, raw)
        if parsed is None:
            defects.append(f"unreadable {key} header")
        if key == "dkim-signature":
            text = "; ".join(f"{tag}={value}" for tag, value in _DKIM_TAG.findall(text))
        values.setdefault(key, []).append(text)
        firsts.setdefault(key, (raw, parsed))
    return values, firsts


def _decode_header(name: str, raw: str) -> tuple[str, Any]:
    try:
        parsed = policy.default.header_fetch_parse(name, raw)
        return one_line(str(parsed)), parsed
    except Exception:  # e.g. an encoded word that decodes to CR/LF inside an address
        return _decode_words(raw), None


def _decode_words(raw: str) -> str:
    try:
        return one_line(str(make_header(decode_header(raw))))
    except Exception:
        return one_line(raw)


def _first(headers: dict[str, list[str]], name: str) -> str:
    return next(iter(headers.get(name, ())), "")


def _sender(decoded: str, first: tuple[str, Any] | None) -> str:
    """'Display Name <address>' of the first From mailbox, sanitized; the decoded header if it has none.

    When the policy parser rejects the header, the address is taken from the raw value and only the display
    name is decoded, so an encoded word cannot smuggle in a different address.
    """
    raw, structured = first or ("", None)
    addresses = _safe(lambda: list(structured.addresses), [])
    if addresses:
        name, address = _safe(lambda: (addresses[0].display_name, addresses[0].addr_spec), ("", ""))
    else:
        angle = _ANGLE_ADDR.match(one_line(raw))  # the last <...> is the address whatever the name holds
        raw_name, address = angle.groups() if angle else _safe(lambda: getaddresses([one_line(raw)])[0], ("", ""))
        name = _decode_words(raw_name)
    name = one_line(name.replace("<", " ").replace(">", " ").replace('"', " "))
    address = one_line(address).replace(" ", "")
    if name and address and "@" in address:
        return f"{name} <{address}>"
    return address if "@" in address else decoded


def _date(value: str, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
        return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except Exception:
        defects.append("unreadable Date header")
        return None


# --- body -------------------------------------------------------------------------------------------
def _body_text(msg: Message, max_chars: int, defects: list[str]) -> tuple[str, tuple[str, ...]]:
    """The first plain-text part; the first HTML part converted if there is none or it is blank, with the
    https link targets of that HTML (a reset link may be only in an href)."""
    seen_plain, html = False, None
    for part in _leaf_parts(msg, defects):
        kind = _safe(part.get_content_type, "text/plain")
        if kind == "text/plain" and not seen_plain:
            text = _clean(_unflow(part, _decoded(part, max_chars * 4, defects)), max_chars)
            if text:
                return text, ()
            seen_plain = True
        elif kind == "text/html" and html is None:
            html = part
    if html is None:
        return "", ()
    markup = _decoded(html, MAX_HTML_CHARS, defects)
    links = tuple(dict.fromkeys(unescape(m) for m in _HREF.findall(markup)))[:MAX_LINKS]
    return _clean(html_to_text(markup), max_chars), links


def _leaf_parts(msg: Message, defects: list[str]) -> Iterator[Message]:
    """Non-attachment leaf parts in reading order, depth-first without recursion; attached messages skipped."""
    stack, seen = [(msg, 0)], 0
    while stack and seen < MAX_PARTS:
        part, depth = stack.pop()
        seen += 1
        if part is not msg:
            defects.extend(type(d).__name__ for d in getattr(part, "defects", ()))
        if _safe(part.get_content_maintype, "text") == "message":
            continue
        children = _safe(part.get_payload, None) if _safe(part.is_multipart, False) else None
        if isinstance(children, list):
            if depth < MAX_DEPTH:
                stack.extend((child, depth + 1) for child in reversed(children) if isinstance(child, Message))
            else:
                defects.append("multipart nesting too deep")
        elif not _is_attachment(part):
            yield part


def _is_attachment(part: Message) -> bool:
    return _safe(lambda: part.get_content_disposition() == "attachment" or part.get_filename() is not None, True)


def _decoded(part: Message, max_bytes: int, defects: list[str]) -> str:
    """The part's text in its declared charset; unknown or wrong charsets fall back to UTF-8, then Latin-1."""
    payload = _safe(lambda: part.get_payload(decode=True), None)
    defects.extend(type(d).__name__ for d in getattr(part, "defects", ()))  # decoding adds base64 defects
    if not isinstance(payload, bytes):
        return ""
    payload = payload[:max_bytes]
    charset = _safe(part.get_content_charset, None) or "us-ascii"
    if charset not in _ASCII_ALIASES:
        try:
            return payload.decode(charset, "replace")
        except Exception:  # LookupError for unknown names and for codecs like zlib that are not text
            defects.append(f"unknown charset {one_line(charset, 40)!r}")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


def _unflow(part: Message, text: str) -> str:
    """RFC 3676 format=flowed: rejoin soft-broken lines, so a wrapped link stays one link."""
    if _safe(lambda: str(part.get_param("format", "")).lower(), "") != "flowed":
        return text
    delsp = _safe(lambda: str(part.get_param("delsp", "")).lower(), "") == "yes"
    lines = [line[1:] if line.startswith(" ") else line for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        soft = line.endswith(" ") and line != "-- "
        out.append((line[:-1] if delsp and soft else line) + ("" if soft else "\n"))
    return "".join(out)


def _clean(text: str, max_chars: int) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _UNPRINTABLE.sub("", text).replace("\x85", "\n")
    lines = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", lines).strip()[:max_chars]
