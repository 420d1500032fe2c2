"""Changes to existing addresses (link, retire) and the lookups the bot and API offer."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from core.errors import AccountIdTaken, AlreadyLinked, Conflict, InvalidRequest, NotFound, PreconditionFailed
from core.model import AddressState, AuditEvent, Owner, RootAddress
from core.ports import Clock, Store
from core.addresses.rules import account_id_problem, normalize_address
from core.addresses.tags import merged_tags

UPDATE_ATTEMPTS = 3

Precondition = Callable[[RootAddress], bool]  # must hold for the version of the record a change is written to


async def require(store: Store, address: str) -> RootAddress:
    record = await store.get_address(normalize_address(address))
    if record is None:
        raise NotFound(f"RootMail does not know the address {address}.")
    return record


async def lookup(store: Store, query: str, limit: int = 10) -> list[RootAddress]:
    """Find by AWS account id, by exact address, or by a fragment of the name or address."""
    query = query.strip()
    digits = query.replace("-", "")
    if not account_id_problem(digits):
        found = await store.get_by_account_id(digits)
        return [found] if found else []
    if "@" in query:
        found = await store.get_address(normalize_address(query))
        if found:
            return [found]
    return await store.search_addresses(query, limit) if len(query) >= 2 else []


async def link(store: Store, clock: Clock, address: str, account_id: str, actor: str) -> RootAddress:
    account_id = account_id.replace("-", "").strip()
    if problem := account_id_problem(account_id):
        raise InvalidRequest({"account_id": f"An AWS account id {problem}."})

    def change(record: RootAddress) -> RootAddress:
        if record.account_id == account_id:
            return record
        if record.account_id:
            raise InvalidRequest({"address": f"{record.address} is already linked to {record.account_id}."})
        return replace(record, account_id=account_id, updated_at=clock())

    try:
        record = await _update(store, address, change)
    except AccountIdTaken as taken:
        raise InvalidRequest({"account_id": f"Already linked to {taken.address}."}) from None
    await store.append_audit(AuditEvent(clock(), actor, "link", record.address, {"account_id": account_id}))
    return record


@dataclass(frozen=True)
class Amendment:
    """What an automation caller changes in one write; None leaves that part alone."""

    account_id: str | None = None  # link; an address is never unlinked or moved to another account
    owner: Owner | None = None  # hand the address to another conversation
    tags: dict[str, Any] | None = None  # JSON merge patch: a value sets a tag, null removes it


async def amend(store: Store, clock: Clock, address: str, amendment: Amendment, actor: str,
                precondition: Precondition | None = None, by: str = "") -> RootAddress:
    """Apply the amendment atomically (one etag-checked write). Raises AlreadyLinked, AccountIdTaken,
    InvalidRequest, NotFound, or PreconditionFailed when `precondition` does not hold for the record as it is
    written; audits each part that changed (`by`: the actor's name, for the audit card)."""
    account_id = amendment.account_id.replace("-", "").strip() if amendment.account_id is not None else None
    if account_id is not None and (problem := account_id_problem(account_id)):
        raise InvalidRequest({"account_id": f"An AWS account id {problem}."})
    before: list[RootAddress] = []

    def change(record: RootAddress) -> RootAddress:
        before[:] = [record]
        updated = record
        if account_id and record.account_id != account_id:
            if record.account_id:
                raise AlreadyLinked(record.address, record.account_id)
            updated = replace(updated, account_id=account_id)
        if amendment.owner and amendment.owner.conversation_id != record.owner.conversation_id:
            updated = replace(updated, owner=amendment.owner)
        if amendment.tags is not None:
            updated = replace(updated, tags=merged_tags(record.tags, amendment.tags))
        return record if updated == record else replace(updated, updated_at=clock())

    record = await _update(store, address, change, precondition)
    old = before[0]
    if record.account_id != old.account_id:
        await store.append_audit(AuditEvent(clock(), actor, "link", record.address, {"account_id": record.account_id}))
    if record.owner.conversation_id != old.owner.conversation_id:
        detail = {"from": old.owner.conversation_id, "to": record.owner.conversation_id, "from_name": old.owner.name,
                  "to_name": record.owner.name} | ({"by": by[:80]} if by else {})
        await store.append_audit(AuditEvent(clock(), actor, "transfer", record.address, detail))
    if record.tags != old.tags:
        await store.append_audit(AuditEvent(clock(), actor, "tag", record.address, {"tags": record.tags}))
    return record


async def retire(store: Store, clock: Clock, address: str, actor: str,
                 precondition: Precondition | None = None) -> RootAddress:
    def change(record: RootAddress) -> RootAddress:
        if record.state is AddressState.RETIRED:
            return record
        return replace(record, state=AddressState.RETIRED, updated_at=clock())

    record = await _update(store, address, change, precondition)
    await store.append_audit(AuditEvent(clock(), actor, "retire", record.address, {}))
    return record


async def _update(store: Store, address: str, change, precondition: Precondition | None = None) -> RootAddress:
    """Read-modify-write with the etag; a concurrent change makes us read again, unless the caller's change was
    made for one version of the record (`precondition`): then that change is refused, never applied to another."""
    for _ in range(UPDATE_ATTEMPTS):
        record = await require(store, address)
        if precondition is not None and not precondition(record):
            raise PreconditionFailed(f"{record.address} changed since you read it; read it again and retry.")
        changed = change(record)
        if changed == record:
            return record
        try:
            return await store.update_address(changed)
        except Conflict:
            continue  # read again: the precondition is checked on the version that won
    raise Conflict(f"{address} kept changing while RootMail updated it; try again.")
