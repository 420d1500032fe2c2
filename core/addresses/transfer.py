"""Handing an address to another channel: asked for there, approved by the owning channel or an admin."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from core.addresses import registry
from core.addresses.access import Access, Decision, audit_refusal
from core.errors import Forbidden, NotFound
from core.model import AuditEvent, Owner, Person, RootAddress
from core.ports import Clock, Store
from core.addresses.rules import normalize_address


@dataclass(frozen=True)
class TransferRequest:
    id: str
    address: str
    to: str  # conversation id of the channel asking for the address
    to_name: str
    by: str  # who asked (Entra object id or Teams id)
    by_name: str
    at: str  # ISO time, for the audit
    thread: str = ""  # where it was asked (a channel thread), so the decision is told there


def _flag(address: str) -> str:
    return f"transfer:{normalize_address(address)}"


async def pending(store: Store, address: str) -> TransferRequest | None:
    raw = await store.get_flag(_flag(address))
    if not raw:
        return None
    try:
        return TransferRequest(**json.loads(raw))
    except (ValueError, TypeError):
        return None


async def request(store: Store, clock: Clock, record: RootAddress, to: Owner, to_name: str, person: Person,
                  request_id: str, thread: str = "") -> TransferRequest:
    """Open (or replace) the one pending request for the address; the owner is asked separately."""
    asked = TransferRequest(request_id, record.address, to.conversation_id, to_name[:120],
                            person.aad_object_id or person.id, person.name[:80], clock().isoformat(), thread[:300])
    await store.set_flag(_flag(record.address), json.dumps(asdict(asked)))
    await store.append_audit(AuditEvent(clock(), asked.by, "transfer-requested", record.address,
                                        {"to": to_name[:120], "by": person.name[:80], "request": request_id}))
    return asked


async def move(store: Store, clock: Clock, address: str, to: Owner, actor: str) -> RootAddress:
    """The address, its future mail and its codes now belong to `to` (audited as `transfer`)."""
    return await registry.amend(store, clock, address, registry.Amendment(owner=to), actor)


async def may_decide(access: Access, person: Person, where: Owner, record: RootAddress,
                     asked: TransferRequest) -> Decision:
    """The owning channel (or an admin) decides, but not the person who asked: a move takes two people."""
    decision = await access.may_change(person, where, record)
    if decision and (person.aad_object_id or person.id) == asked.by and not await access.is_admin(person):
        return Decision(False, "You asked for this transfer, so someone else in the owning channel, or a RootMail "
                               "admin, decides.")
    return decision


async def decide(store: Store, clock: Clock, access: Access, address: str, request_id: str, approve: bool,
                 person: Person, where: Owner) -> tuple[TransferRequest, RootAddress]:
    """Approve or decline the pending request `request_id`. Raises NotFound when it is no longer open (an
    older card, or already decided) and Forbidden when the person may not decide."""
    asked = await pending(store, address)
    if asked is None or asked.id != request_id:
        raise NotFound("This transfer request is no longer open: it was decided, or a newer one replaced it.")
    record = await registry.require(store, address)
    decision = await may_decide(access, person, where, record, asked)
    if not decision:
        await audit_refusal(store, clock, person, "transfer", record.address, decision.reason)
        raise Forbidden(decision.reason)
    actor = person.aad_object_id or person.id
    if approve:
        new_owner = await store.get_conversation(asked.to)
        if new_owner is None:
            raise NotFound("RootMail no longer knows the channel that asked; ask them to request it again.")
        record = await move(store, clock, address, new_owner, actor)
    else:
        await store.append_audit(AuditEvent(clock(), actor, "transfer-declined", record.address,
                                            {"to": asked.to_name, "by": person.name[:80]}))
    await store.delete_flag(_flag(address))
    return asked, record
