"""A Graph message (its v1.0 JSON) as RootMail's ParsedMail, and every address it may have been delivered to."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from email.utils import getaddresses
from typing import Any

from core.intake.parsed import ParsedMail
from mail.html_text import html_to_text
from mail.mime import KEPT_HEADERS, MAX_HEADER_CHARS, MAX_HEADER_VALUES, MAX_TEXT_CHARS, one_line

MAX_HTML_CHARS = 500_000
# Where the original recipient survives when the mail reached this mailbox by forwarding or as Bcc (Graph's
# toRecipients and ccRecipients already are the To and Cc headers).
ADDRESS_HEADERS = ("delivered-to", "x-original-to", "x-forwarded-to", "envelope-to",
                   "x-ms-exchange-organization-originalenveloperecipients")
_RECEIVED_FOR = re.compile(r"\bfor\s+<?([^\s<>;]+@[^\s<>;]+?)>?\s*(?:;|$|\()", re.IGNORECASE)
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BLANK_LINES = re.compile(r"\n{3,}")


def parsed_mail(message: dict[str, Any]) -> ParsedMail:
    """Never raises for a message Graph returned; what is odd about it ends up in `defects`."""
    defects: list[str] = []
    headers = _headers(message)
    message_id = one_line(str(message.get("internetMessageId") or ""))
    if not message_id:
        defects.append("missing Message-ID")
        digest = hashlib.sha256(str(message.get("id", "")).encode()).hexdigest()[:32]
        message_id = f"<graph-{digest}@rootmail.invalid>"  # immutable ids are stable, so this dedupes
    body = message.get("body") or {}
    content = str(body.get("content") or "")
    if str(body.get("contentType", "")).lower() == "html":
        text = html_to_text(content[:MAX_HTML_CHARS])
    else:
        text = content
    sender = _sender(message.get("from") or message.get("sender"))
    if not sender:
        defects.append("missing From")
    return ParsedMail(message_id=message_id, sender=sender, subject=one_line(str(message.get("subject") or "")),
                      date=_when(message.get("receivedDateTime"), defects), text=_clean(text), size=len(content),
                      headers=headers, defects=tuple(defects))


def recipient_candidates(message: dict[str, Any]) -> list[str]:
    """Addresses the mail was sent or delivered to, most direct first: To, Cc, then the original recipients that
    headers keep when the mail reached this mailbox by forwarding or Bcc (Delivered-To..., Received ... for <a>)."""
    found = [_address(r) for field in ("toRecipients", "ccRecipients") for r in message.get(field) or []]
    for header in message.get("internetMessageHeaders") or []:
        name, value = str(header.get("name", "")).lower(), str(header.get("value", ""))[:MAX_HEADER_CHARS * 8]
        if name in ADDRESS_HEADERS:
            found += [address for _, address in getaddresses([value.replace(";", ",")])]
        elif name == "received":
            found += _RECEIVED_FOR.findall(value)
    cleaned = (one_line(a).strip("<>").lower() for a in found if a)
    return list(dict.fromkeys(a for a in cleaned if "@" in a and " " not in a))


def _address(recipient: Any) -> str:
    return str(((recipient or {}).get("emailAddress") or {}).get("address") or "")


def _sender(recipient: Any) -> str:
    """'Display Name <address>', as the MIME parser gives it; angle brackets and quotes out of the name."""
    email = (recipient or {}).get("emailAddress") or {}
    address = one_line(str(email.get("address") or "")).replace(" ", "")
    name = one_line(str(email.get("name") or "").replace("<", " ").replace(">", " ").replace('"', " "))
    if "@" not in address:
        return name
    return f"{name} <{address}>" if name and name.lower() != address.lower() else address


def _headers(message: dict[str, Any]) -> dict[str, list[str]]:
    kept: dict[str, list[str]] = {}
    for header in message.get("internetMessageHeaders") or []:
        name = one_line(str(header.get("name", ""))).lower()
        if name in KEPT_HEADERS and len(kept.get(name, ())) < MAX_HEADER_VALUES:
            kept.setdefault(name, []).append(one_line(str(header.get("value", ""))))
    return kept


def _when(value: Any, defects: list[str]) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        defects.append("unreadable receivedDateTime")
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _UNPRINTABLE.sub("", text[:MAX_TEXT_CHARS * 2]).replace("\x85", "\n")
    lines = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", lines).strip()[:MAX_TEXT_CHARS]
