"""Receiving mail: one durable InboundMail per (Message-ID, recipient), recorded before the source is acknowledged."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from core.intake.inspection import Inspection, Inspector, secret_context, uninspected
from core.model import AuditEvent, InboundMail, MailState
from core.ports import Clock, Store
from core.intake.parsed import ParsedMail
from core.intake.redact import redact
from core.addresses.rules import normalize_address

logger = logging.getLogger(__name__)

PREVIEW_CHARS = 600
DUPLICATE_NOTE = " It reuses the Message-ID of an earlier mail with another sender check or content."
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
    verifies: it is recorded as unverified and goes to the admins' quarantine, never to a channel.

    A second mail with a known Message-ID is the same mail delivered again when its sender verdict and content match
    the first: ignored. When they differ it is not: a forged mail sent first with the Message-ID of the real one would
    otherwise make RootMail drop the real one. Such a mail is recorded under a key of its own (duplicate_of names the
    first), audited and posted like any mail, its card saying so."""
    prepared = _prepare(inspector or Inspector(), mail, recipients, clock())
    return await _settle(store, prepared, [await store.record_mail(r) for r in prepared.records])


async def ingest_many(store: Store, clock: Clock, mails: list[tuple[ParsedMail, list[str]]],
                      inspector: Inspector | None = None, flags: dict[str, str] | None = None) -> list[list[InboundMail]]:
    """`ingest` for several mails at once, with `flags` (the source's notes about them) written together with their
    records in one store call (Store.record_mails); the new records of each mail, in order. Only a known Message-ID
    costs further calls, as in `ingest`."""
    now, inspector = clock(), inspector or Inspector()
    prepared = [_prepare(inspector, mail, recipients, now) for mail, recipients in mails]
    recorded = await store.record_mails([r for p in prepared for r in p.records], flags)
    new, at = [], 0
    for p in prepared:
        new.append(await _settle(store, p, recorded[at:at + len(p.records)]))
        at += len(p.records)
    return new


@dataclass(frozen=True)
class _Prepared:
    inspector: Inspector
    inspection: Inspection
    mail: ParsedMail
    shown: "_Shown"
    now: datetime
    records: tuple[InboundMail, ...]  # one per distinct recipient


def _prepare(inspector: Inspector, mail: ParsedMail, recipients: list[str], now: datetime) -> _Prepared:
    inspection = _inspect(inspector, mail)
    shown = _Shown(redact(mail.subject[:1000]), safe_preview(mail.text), safe_preview(mail.text, TEXT_CHARS),
                   fingerprint(mail, inspection))
    addresses = dict.fromkeys(normalize_address(r) for r in recipients if r.strip())
    records = tuple(_record(inspector, inspection, mail, shown, dedupe_key(mail.message_id, a), a, now)
                    for a in addresses)
    return _Prepared(inspector, inspection, mail, shown, now, records)


async def _settle(store: Store, p: _Prepared, recorded: list[bool]) -> list[InboundMail]:
    """The new records; a record whose key was known is the same mail again (ignored) or a variant (recorded)."""
    new: list[InboundMail] = []
    for record, was_new in zip(p.records, recorded):
        if was_new:
            new.append(record)
            continue
        earlier = await store.get_mail(record.key)
        if earlier is None or not _differs(earlier, record):
            logger.info("duplicate mail ignored", extra={"mail_key": record.key})
            continue
        address, mail, key = record.address, p.mail, record.key
        variant = _record(p.inspector, p.inspection, mail, p.shown, dedupe_key(
            f"{mail.message_id}#{p.shown.fingerprint}", address), address, p.now, duplicate_of=key)
        if not await store.record_mail(variant):
            logger.info("duplicate mail ignored", extra={"mail_key": variant.key})
            continue
        new.append(variant)
        await store.append_audit(AuditEvent(p.now, "rootmail", "duplicate-message-id", address, {
            "mail": variant.key, "first": key, "verdict": variant.verdict, "first_verdict": earlier.verdict,
            "sender": mail.sender[:200], "first_sender": earlier.sender[:200]}))
        logger.warning("a mail reused a known Message-ID with another sender verdict or content; recorded and reported",
                       extra={"mail_key": variant.key, "duplicate_of": key, "verdict": variant.verdict})
    return new


@dataclass(frozen=True)
class _Shown:
    subject: str
    preview: str
    text: str
    fingerprint: str


def fingerprint(mail: ParsedMail, inspection: Inspection) -> str:
    """The sender verdict and what the mail says, hashed: equal for the same mail delivered twice."""
    content = "\n".join((inspection.verdict_name, mail.sender, mail.subject, mail.text))
    return hashlib.sha256(content.encode("utf-8", "replace")).hexdigest()[:32]


def _differs(earlier: InboundMail, record: InboundMail) -> bool:
    if earlier.verdict != record.verdict:
        return True
    if earlier.fingerprint:
        return earlier.fingerprint != record.fingerprint
    return earlier.sender != record.sender or earlier.subject != record.subject  # recorded before fingerprints


def _record(inspector: Inspector, inspection: Inspection, mail: ParsedMail, shown: _Shown, key: str, address: str,
            now: datetime, duplicate_of: str = "") -> InboundMail:
    sealed = inspector.seal(inspection, secret_context(key), now)
    return InboundMail(
        key=key, message_id=mail.message_id, address=address,
        sender=mail.sender, subject=shown.subject, received_at=now, preview=shown.preview, text=shown.text,
        state=MailState.RECEIVED, size=mail.size, next_attempt_at=now,
        kind=inspection.rule.kind, severity=inspection.severity, verdict=inspection.verdict_name,
        verdict_reason=(inspection.verdict.reason + (DUPLICATE_NOTE if duplicate_of else ""))[:500],
        secret=sealed.value if sealed else "",
        secret_kind=sealed.kind if sealed else "", secret_expires_at=sealed.expires_at if sealed else None,
        account_id=inspection.account_id, fingerprint=shown.fingerprint, duplicate_of=duplicate_of)


def _inspect(inspector: Inspector, mail: ParsedMail) -> Inspection:
    """A bug in a rule must not block mail: such a mail is kept, unverified, for an admin to look at."""
    try:
        return inspector.inspect(mail)
    except Exception:
        logger.exception("inspecting a mail failed; it is kept as unverified")
        return uninspected("RootMail could not check this mail (an internal error); an admin should look at it.")
