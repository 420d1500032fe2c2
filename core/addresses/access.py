"""Who may do what: allowed tenants, admins, requesters, and the owner-or-admin rule for changing an address."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from core.model import AuditEvent, Owner, Person, RootAddress
from core.ports import Clock, Store

logger = logging.getLogger(__name__)


class GroupDirectory(Protocol):
    """Entra group membership. Production wants Microsoft Graph (transitive members); tests and small
    installations use StaticGroups."""

    async def is_member(self, group_id: str, person: Person) -> bool: ...


@dataclass(frozen=True)
class StaticGroups:
    """Group members from configuration: {group object id: [member object ids]}."""

    members: dict[str, frozenset[str]] = field(default_factory=dict)

    async def is_member(self, group_id: str, person: Person) -> bool:
        return bool(person.aad_object_id) and person.aad_object_id.lower() in self.members.get(group_id.lower(), ())

    @classmethod
    def from_file(cls, path: Path) -> "StaticGroups":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
            raise ValueError(f"{path}: expected {{\"<group id>\": [\"<object id>\", ...]}}")
        return cls({str(k).lower(): frozenset(str(m).lower() for m in v) for k, v in data.items()})


@dataclass(frozen=True)
class AccessPolicy:
    allowed_tenants: frozenset[str] = frozenset()  # empty: every tenant
    admins: frozenset[str] = frozenset()  # Entra object ids
    admin_group: str = ""
    requester_group: str = ""  # empty: anyone in an allowed tenant
    admin_conversation: str = ""  # acting from here counts as acting as an admin (it gets admin notices)
    # Whether the edge proved who is asking (Bot Framework JWT validation). When it did not, anyone could claim an
    # admin's object id or the admin conversation's id, so nobody is an admin.
    identities_verified: bool = True


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # why not, in words for the person refused

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


@dataclass
class Access:
    policy: AccessPolicy = field(default_factory=AccessPolicy)
    groups: GroupDirectory = field(default_factory=StaticGroups)

    def tenant_allowed(self, tenant_id: str) -> bool:
        return not self.policy.allowed_tenants or tenant_id.lower() in self.policy.allowed_tenants

    async def is_admin(self, person: Person) -> bool:
        if not self.policy.identities_verified:
            return False
        object_id = person.aad_object_id.lower()
        if object_id and object_id in self.policy.admins:
            return True
        return bool(self.policy.admin_group) and await self.groups.is_member(self.policy.admin_group, person)

    def in_admin_conversation(self, where: Owner) -> bool:
        return (self.policy.identities_verified and bool(self.policy.admin_conversation)
                and where.conversation_id == self.policy.admin_conversation)

    async def acts_as_admin(self, person: Person, where: Owner) -> bool:
        return self.in_admin_conversation(where) or await self.is_admin(person)

    async def may_request(self, person: Person) -> Decision:
        if not self.policy.requester_group or await self.is_admin(person):
            return ALLOWED
        if await self.groups.is_member(self.policy.requester_group, person):
            return ALLOWED
        return Decision(False, "Only members of the requester group may ask for new root addresses. "
                               "Ask a RootMail admin to add you.")

    async def may_view(self, person: Person, where: Owner, record: RootAddress) -> bool:
        """Full details, mail and audit of an address: its owning conversation and admins only."""
        return where.conversation_id == record.owner.conversation_id or await self.acts_as_admin(person, where)

    async def may_change(self, person: Person, where: Owner, record: RootAddress) -> Decision:
        """link, retire and approving a transfer: from the owning conversation, or by an admin."""
        if await self.may_view(person, where, record):
            return ALLOWED
        return Decision(False, "This address belongs to another channel. Only that channel, or a RootMail admin, "
                               "may change it: run the command there.")


async def audit_refusal(store: Store, clock: Clock, person: Person, action: str, subject: str, reason: str) -> None:
    """Every refusal is on record, under the address it concerned (or `access` when none)."""
    await store.append_audit(AuditEvent(clock(), person.aad_object_id or person.id, "refused", subject or "access", {
        "action": action, "by": person.name[:80], "reason": reason[:300]}))
    logger.info("refused", extra={"action": action, "subject": subject or "access"})
