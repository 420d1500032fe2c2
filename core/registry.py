"""Changes to existing addresses (link, retire) and the lookups the bot and API offer."""
from __future__ import annotations

from dataclasses import replace

from core.errors import AccountIdTaken, Conflict, InvalidRequest, NotFound
from core.model import AddressState, AuditEvent, RootAddress
from core.ports import Clock, Store
from core.rules import account_id_problem, normalize_address

UPDATE_ATTEMPTS = 3


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


async def retire(store: Store, clock: Clock, address: str, actor: str) -> RootAddress:
    def change(record: RootAddress) -> RootAddress:
        if record.state is AddressState.RETIRED:
            return record
        return replace(record, state=AddressState.RETIRED, updated_at=clock())

    record = await _update(store, address, change)
    await store.append_audit(AuditEvent(clock(), actor, "retire", record.address, {}))
    return record


async def _update(store: Store, address: str, change) -> RootAddress:
    """Read-modify-write with the etag; a concurrent change makes us read again."""
    for _ in range(UPDATE_ATTEMPTS):
        record = await require(store, address)
        changed = change(record)
        if changed == record:
            return record
        try:
            return await store.update_address(changed)
        except Conflict:
            continue
    raise Conflict(f"{address} kept changing while RootMail updated it; try again.")
