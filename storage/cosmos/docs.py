"""Cosmos DB documents for RootMail's records: ids, partition key values, containers and their indexing."""
from __future__ import annotations

import base64
import hashlib
from typing import Any

from core.model import AuditEvent, InboundMail, Mailbox, Owner, RootAddress, Strategy
from storage.codec import (address_from_dict, address_to_dict, audit_from_dict, audit_to_dict, mail_from_dict,
                           mail_to_dict, owner_from_dict, owner_to_dict, when)

# Container name suffixes (the prefix comes from settings) and what each one must not index: big opaque blobs.
ADDRESSES, POOL, MAILS, META = "addresses", "pool", "mails", "meta"
_NOT_INDEXED = {
    ADDRESSES: ["/owner/reference/*", "/requester/*", "/purpose/?"],
    POOL: [],
    MAILS: ["/preview/?", "/text/?", "/subject/?", "/sender/?", "/last_error/?"],
    META: ["/reference/*", "/detail/*"],
}
PARTITION_KEY_PATH = "/pk"
MAILBOXES_PK = "mailboxes"

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@")
_MAX_ID = 200  # Cosmos allows 255 characters; escaped values longer than this are hashed


# Filter-then-order queries that the range indexes alone would answer by walking the whole order.
_COMPOSITE = {
    ADDRESSES: [[{"path": "/owner_id", "order": "ascending"}, {"path": "/sort_key", "order": "ascending"}]],
}


def missing_indexes(container: str, policy: dict[str, Any]) -> list[str]:
    """Composite indexes the store's queries need that a container's indexing policy lacks."""
    have = [[(p["path"], p.get("order", "ascending")) for p in group] for group in policy.get("compositeIndexes", [])]
    need = [[(p["path"], p["order"]) for p in group] for group in _COMPOSITE.get(container, [])]
    return [" + ".join(f"{path} {order}" for path, order in group) for group in need if group not in have]


def indexing_policy(container: str) -> dict[str, Any]:
    return {"indexingMode": "consistent", "automatic": True, "includedPaths": [{"path": "/*"}],
            "excludedPaths": [{"path": '/"_etag"/?'}] + [{"path": p} for p in _NOT_INDEXED[container]],
            "compositeIndexes": _COMPOSITE.get(container, [])}


def escape(value: str) -> str:
    """A document id for any text: Cosmos forbids / \\ ? # in ids, and % + and spaces break some SDKs and tools,
    so everything outside [A-Za-z0-9.-_@] becomes ~XX (UTF-8 bytes). Readable for addresses, and reversible."""
    out = "".join(c if c in _SAFE else "".join(f"~{b:02X}" for b in c.encode()) for c in value)
    if set(out) <= {"."}:  # "", "." and ".." would be dropped or resolved as URL path segments
        out = "~" + out.replace(".", "~2E")
    if len(out) > _MAX_ID:
        return "~h" + hashlib.sha256(value.encode()).hexdigest()
    return out


def normalize(address: str) -> str:
    return address.strip().lower()


# --- addresses container: every document is its own logical partition (pk == id) -------------------------------
def address_key(address: str) -> str:
    return escape(normalize(address))


def claim_key(kind: str, value: str) -> str:
    """`kind:` cannot collide with an address key: ':' is always escaped there."""
    return f"{kind}:{escape(value)}"


def address_doc(record: RootAddress) -> dict[str, Any]:
    key = address_key(record.address)
    return {"id": key, "pk": key, "type": "address", **address_to_dict(record),
            "owner_id": record.owner.conversation_id, "address_lc": normalize(record.address),
            "name_lc": record.account_name.lower(), "sort_key": sort_key(record),
            "requester_key": record.requester_key}


def sort_key(record: RootAddress) -> str:
    """Oldest first, ties broken by address: the order `list_by_owner` pages in."""
    return f"{when(record.created_at)}|{normalize(record.address)}"


def address_from_doc(doc: dict[str, Any]) -> RootAddress:
    return address_from_dict(doc, doc["_etag"])


def claim_doc(kind: str, value: str, address: str, claimed_at: float) -> dict[str, Any]:
    key = claim_key(kind, value)
    return {"id": key, "pk": key, "type": "claim", "kind": kind, "value": value, "address": normalize(address),
            "claimed_at": claimed_at}


# --- pool container: one partition for all mailboxes, one per mailbox for its aliases ----------------------------
def aliases_pk(mailbox: str) -> str:
    return f"aliases:{escape(mailbox)}"


def mailbox_doc(mailbox: Mailbox) -> dict[str, Any]:
    return {"id": escape(mailbox.address), "pk": MAILBOXES_PK, "type": "mailbox", "address": mailbox.address,
            "strategy": mailbox.strategy.value, "alias_capacity": mailbox.alias_capacity, "state": mailbox.state}


def mailbox_from_doc(doc: dict[str, Any]) -> Mailbox:
    return Mailbox(doc["address"], Strategy(doc["strategy"]), doc["alias_capacity"], doc["state"])


def alias_doc(mailbox: str, alias: str, state: str = "free") -> dict[str, Any]:
    return {"id": escape(alias), "pk": aliases_pk(mailbox), "type": "alias", "alias": alias, "mailbox": mailbox,
            "state": state}


# --- mails container: partitioned by recipient, so a conversation's recent mail is one partition -----------------
def mail_pk(address: str) -> str:
    return f"mail:{escape(normalize(address))}"


def mail_doc(mail: InboundMail) -> dict[str, Any]:
    return {"id": escape(mail.key), "pk": mail_pk(mail.address), "type": "mail", **mail_to_dict(mail)}


def mail_from_doc(doc: dict[str, Any]) -> InboundMail:
    return mail_from_dict(doc, doc["_etag"])


# --- meta container: conversations, flags, audit --------------------------------------------------------------
def conversation_key(conversation_id: str) -> str:
    return f"conversation:{escape(conversation_id)}"


def conversation_doc(owner: Owner) -> dict[str, Any]:
    key = conversation_key(owner.conversation_id)
    return {"id": key, "pk": key, "type": "conversation", **owner_to_dict(owner)}


def conversation_from_doc(doc: dict[str, Any]) -> Owner:
    return owner_from_dict(doc)


def flag_key(name: str) -> str:
    return f"flag:{escape(name)}"


def flag_doc(name: str, value: str) -> dict[str, Any]:
    key = flag_key(name)
    return {"id": key, "pk": key, "type": "flag", "name": name, "value": value}


def lease_key(name: str) -> str:
    return f"lease:{escape(name)}"


def lease_doc(name: str, owner: str, until: str) -> dict[str, Any]:
    key = lease_key(name)
    return {"id": key, "pk": key, "type": "lease", "name": name, "owner": owner, "until": until}


def audit_pk(subject: str) -> str:
    return f"audit:{escape(subject)}"


def audit_doc(event: AuditEvent, seq: str) -> dict[str, Any]:
    """`seq` orders a subject's events (newest = greatest); it is also the id, so one seq is stored once."""
    return {"id": seq, "pk": audit_pk(event.subject), "type": "audit", "seq": seq, **audit_to_dict(event)}


def audit_from_doc(doc: dict[str, Any]) -> AuditEvent:
    return audit_from_dict(doc)


# The allocation's audit event is stored inside the address document it created (see CosmosStore.create_address).
def created_event_field(event: AuditEvent | None) -> dict[str, Any]:
    if event is None:
        return {}
    return {"created_event": audit_to_dict(event)}


def kept_created_event(current: dict[str, Any]) -> dict[str, Any]:
    """What a replace must carry over from the stored document: the event is written once, at creation."""
    return {"created_event": current["created_event"]} if current.get("created_event") else {}


def with_created_event(events: list[AuditEvent], address: dict[str, Any], limit: int) -> list[AuditEvent]:
    """Merge the address document's creation event into `events` (newest first), keeping at most `limit`.
    Nothing about an address happens before it is created, so it goes after every event not older than it."""
    if not address.get("created_event"):
        return events
    created = audit_from_dict(address["created_event"])
    at = next((i for i, e in enumerate(events) if e.at < created.at), len(events))
    return [*events[:at], created, *events[at:]][:limit]


# --- page tokens ------------------------------------------------------------------------------------------------
def encode_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_token(token: str | None) -> str:
    """The sort key a page ends at; an unreadable token starts from the beginning, as a missing one does."""
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return ""
