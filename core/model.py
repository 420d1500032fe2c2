"""RootMail's records: plain dataclasses the store persists and the edges translate to and from."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Strategy(str, enum.Enum):
    ALIAS = "alias"
    PLUS = "plus"


class AddressState(str, enum.Enum):
    RESERVED = "reserved"
    ACTIVE = "active"
    RETIRED = "retired"


class MailState(str, enum.Enum):
    RECEIVED = "received"
    FORWARDED = "forwarded"
    UNMAPPED = "unmapped"
    QUARANTINED = "quarantined"
    FAILED = "failed"
    CONSUMED = "consumed"  # a code RootMail used itself (adopting an account): never posted, its secret wiped


@dataclass(frozen=True)
class Mailbox:
    address: str
    strategy: Strategy
    alias_capacity: int = 300
    state: str = "active"
    graph_id: str = ""  # pool file only: how Microsoft Graph knows it (object id or UPN) if not by its address


@dataclass(frozen=True)
class Owner:
    """The conversation that owns an address: a team channel, a group chat or a personal chat.

    `reference` is the serialized Bot Framework conversation reference used for proactive posts;
    core treats it as opaque data.
    """

    conversation_id: str
    name: str = ""
    team_id: str = ""
    team_name: str = ""
    tenant_id: str = ""
    reference: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Person:
    id: str
    name: str = ""
    aad_object_id: str = ""


@dataclass(frozen=True)
class RootAddress:
    address: str
    mailbox: str
    account_name: str
    environment: str
    purpose: str
    owner: Owner
    requester: Person
    created_at: datetime
    updated_at: datetime
    state: AddressState = AddressState.ACTIVE
    account_id: str | None = None
    request_id: str | None = None
    etag: str | None = field(default=None, compare=False)
    tags: dict[str, str] = field(default_factory=dict)  # free-form labels set by people or pipelines

    @property
    def requester_key(self) -> str:
        """Who asked for the address, as `list_addresses(requester=...)` matches it."""
        return self.requester.aad_object_id or self.requester.id


@dataclass(frozen=True)
class InboundMail:
    """One received message for one RootMail recipient; `key` dedupes it (Message-ID + address)."""

    key: str
    message_id: str
    address: str
    sender: str
    subject: str
    received_at: datetime
    preview: str
    state: MailState
    size: int = 0
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    activity_id: str = ""
    lease_owner: str = ""
    lease_until: datetime | None = None
    kind: str = "other"  # core.intake.aws_mail_rules: what AWS mail this is
    severity: str = "normal"
    verdict: str = ""  # "verified" | "unverified" (core.intake.sender_trust); "" if recorded before senders were checked
    verdict_reason: str = ""
    secret: str = field(default="", repr=False)  # the code or reset link, sealed (core.intake.secrets_box); "" once wiped
    secret_kind: str = ""  # "code" | "link"
    secret_expires_at: datetime | None = None  # Reveal works until then; the sealed secret is wiped after
    posted_to: str = ""  # the conversation the card was posted in
    posting_since: datetime | None = None  # set just before a post, cleared once its outcome is recorded
    digest: str = ""  # id of the digest post that carried this mail; "" when it got a card of its own
    account_id: str = ""  # the AWS account id a verified mail names (core.intake.account_ids); "" if none
    fingerprint: str = ""  # sender verdict and content, hashed: a second mail with this Message-ID is compared on it
    duplicate_of: str = ""  # key of an earlier mail with the same Message-ID whose verdict or content differed
    text: str = field(default="", repr=False)  # the mail's text, redacted at arrival like the preview ("View full mail")
    etag: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    items: list
    continuation: str | None = None
