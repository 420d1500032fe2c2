"""Turning records into plain rows/documents and back; shared by every store."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from core.model import AddressState, AuditEvent, InboundMail, MailState, Owner, Person, RootAddress

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so text order is time order


def when(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).strftime(_FORMAT) if value else None


def parse_when(value: str | None) -> datetime | None:
    # fromisoformat reads what `when` writes ten times faster than strptime; other forms still go through strptime
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except ValueError:
        return datetime.strptime(value, _FORMAT).replace(tzinfo=timezone.utc)


def owner_to_dict(owner: Owner) -> dict[str, Any]:
    return {"conversation_id": owner.conversation_id, "name": owner.name, "team_id": owner.team_id,
            "team_name": owner.team_name, "tenant_id": owner.tenant_id, "reference": owner.reference}


def owner_from_dict(data: dict[str, Any]) -> Owner:
    return Owner(**{k: data.get(k, "") for k in ("conversation_id", "name", "team_id", "team_name", "tenant_id")},
                 reference=data.get("reference") or {})


def address_to_dict(record: RootAddress) -> dict[str, Any]:
    return {
        "address": record.address, "mailbox": record.mailbox, "account_name": record.account_name,
        "environment": record.environment, "purpose": record.purpose, "owner": owner_to_dict(record.owner),
        "requester": {"id": record.requester.id, "name": record.requester.name,
                      "aad_object_id": record.requester.aad_object_id},
        "created_at": when(record.created_at), "updated_at": when(record.updated_at), "state": record.state.value,
        "account_id": record.account_id, "request_id": record.request_id, "tags": dict(record.tags),
    }


def address_from_dict(data: dict[str, Any], etag: str | None) -> RootAddress:
    return RootAddress(
        address=data["address"], mailbox=data["mailbox"], account_name=data["account_name"],
        environment=data["environment"], purpose=data["purpose"], owner=owner_from_dict(data["owner"]),
        requester=Person(**data["requester"]), created_at=parse_when(data["created_at"]),
        updated_at=parse_when(data["updated_at"]), state=AddressState(data["state"]),
        account_id=data.get("account_id"), request_id=data.get("request_id"), etag=etag,
        tags=dict(data.get("tags") or {}))


MAIL_FIELDS = ("key", "message_id", "address", "sender", "subject", "received_at", "preview", "state", "size",
               "attempts", "next_attempt_at", "last_error", "activity_id", "lease_owner", "lease_until",
               "kind", "severity", "verdict", "verdict_reason", "secret", "secret_kind", "secret_expires_at",
               "posted_to", "posting_since", "digest", "account_id", "fingerprint", "duplicate_of", "text")
_MAIL_TIMES = ("received_at", "next_attempt_at", "lease_until", "secret_expires_at", "posting_since")
_MAIL_DEFAULTED = ("kind", "severity", "verdict", "verdict_reason", "secret", "secret_kind", "posted_to", "digest",
                   "account_id", "fingerprint", "duplicate_of", "text")


def mail_to_dict(mail: InboundMail) -> dict[str, Any]:
    data = {name: getattr(mail, name) for name in MAIL_FIELDS}
    for name in _MAIL_TIMES:
        data[name] = when(data[name])
    data["state"] = mail.state.value
    return data


def mail_from_dict(data: dict[str, Any], etag: str | None) -> InboundMail:
    values = {name: data.get(name) for name in MAIL_FIELDS}
    for name in _MAIL_TIMES:
        values[name] = parse_when(values[name])
    values["state"] = MailState(values["state"])
    for name in ("last_error", "activity_id", "lease_owner"):
        values[name] = values[name] or ""
    for name in _MAIL_DEFAULTED:  # mail recorded before these fields existed keeps the dataclass defaults
        if values[name] is None:
            del values[name]
    return InboundMail(**values, etag=etag)


def audit_to_dict(event: AuditEvent) -> dict[str, Any]:
    return {"at": when(event.at), "actor": event.actor, "action": event.action, "subject": event.subject,
            "detail": event.detail}


def audit_from_dict(data: dict[str, Any]) -> AuditEvent:
    return AuditEvent(parse_when(data["at"]), data["actor"], data["action"], data["subject"], data.get("detail") or {})


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True)
