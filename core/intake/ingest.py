"""Receiving mail: one durable InboundMail per (Message-ID, recipient), recorded before the source is acknowledged."""
from __future__ import annotations

import hashlib
import logging

from core.intake.inspection import Inspection, Inspector, secret_context, uninspected
from core.model import InboundMail, MailState
from core.ports import Clock, Store
from core.intake.parsed import ParsedMail
from core.intake.redact import redact
from core.addresses.rules import normalize_address

logger = logging.getLogger(__name__)

PREVIEW_CHARS = 600
TEXT_CHARS = 12_000  # the mail's text kept for "View full mail", redacted like the preview


def dedupe_key(message_id: str, address: str) -> str:
    digest = hashlib.sha256(f"{message_id.strip().lower()}\n{normalize_address(address)}".encode()).hexdigest()
    return digest[:40]


def fallback_message_id(raw: bytes) -> str:
    """Mail without a Message-ID still dedupes: identical bytes give the identical id."""
    return f"<sha256-{hashlib.sha256(raw).hexdigest()[:32]}@rootmail.invalid>"


def safe_preview(text: str, chars: int = PREVIEW_CHARS) -> str:
    """The preview (or, with `chars`, the text) that may be stored and posted: redacted here, whatever the source
    did, so no code or link is ever kept in clear. Cut at a space first, so a code cannot be split into an
    unrecognised part."""
    head = text[:chars * 2]
    if len(text) > len(head):
        head = head.rsplit(None, 1)[0]
    return redact(head)[:chars]


async def ingest(store: Store, clock: Clock, mail: ParsedMail, recipients: list[str],
                 inspector: Inspector | None = None) -> list[InboundMail]:
    """Record the mail once per distinct recipient; returns the records that were new.

    The inspector classifies the mail, verifies its sender and seals its code or link. Without one, no mail
    verifies: it is recorded as unverified and goes to the admins' quarantine, never to a channel."""
    now = clock()
    inspector = inspector or Inspector()
    inspection = _inspect(inspector, mail)
    subject, preview, text = redact(mail.subject[:1000]), safe_preview(mail.text), safe_preview(mail.text, TEXT_CHARS)
    new: list[InboundMail] = []
    for address in dict.fromkeys(normalize_address(r) for r in recipients if r.strip()):
        key = dedupe_key(mail.message_id, address)
        sealed = inspector.seal(inspection, secret_context(key), now)
        record = InboundMail(
            key=key, message_id=mail.message_id, address=address,
            sender=mail.sender, subject=subject, received_at=now, preview=preview, text=text,
            state=MailState.RECEIVED, size=mail.size, next_attempt_at=now,
            kind=inspection.rule.kind, severity=inspection.rule.severity, verdict=inspection.verdict_name,
            verdict_reason=inspection.verdict.reason[:500], secret=sealed.value if sealed else "",
            secret_kind=sealed.kind if sealed else "", secret_expires_at=sealed.expires_at if sealed else None)
        if await store.record_mail(record):
            new.append(record)
        else:
            logger.info("duplicate mail ignored", extra={"mail_key": record.key})
    return new


def _inspect(inspector: Inspector, mail: ParsedMail) -> Inspection:
    """A bug in a rule must not block mail: such a mail is kept, unverified, for an admin to look at."""
    try:
        return inspector.inspect(mail)
    except Exception:
        logger.exception("inspecting a mail failed; it is kept as unverified")
        return uninspected("RootMail could not check this mail (an internal error); an admin should look at it.")
