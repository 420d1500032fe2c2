"""Where adoption runs keep their state: store flags holding JSON, like transfers and the Graph source do.

    adopt:run:<run>             the Run
    adopt:item:<run>:<account>  one Adoption
    adopt:account:<account>     the run adopting the account now (add_flag: one run per account at a time)
    adopt:address:<address>     "<run>:<account>" while the address waits for its code (core.delivery.forwarding diverts)
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

from core.adoption.states import Adoption, Run
from core.model import Owner, Person
from core.ports import Store
from core.addresses.rules import normalize_address

logger = logging.getLogger(__name__)

RUN, ITEM, ACCOUNT, ADDRESS = "adopt:run:", "adopt:item:", "adopt:account:", "adopt:address:"
MAX_RUNS = 200
MAX_ITEMS = 10_000


@dataclass(eq=False)
class Running:
    """A run this instance drives: its items as last recorded, and whether the card is behind."""

    run: Run
    items: dict[str, Adoption]
    owner: Owner
    requester: Person
    dirty: asyncio.Event = field(default_factory=asyncio.Event)
    aborted: str = ""

    def abort(self, reason: str) -> None:
        self.aborted = self.aborted or reason


class AdoptBook:
    def __init__(self, store: Store):
        self.store = store

    async def open_run(self, run: Run) -> bool:
        """Record a new run; False when a run with this id exists already (the Start button pressed twice)."""
        return await self.store.add_flag(RUN + run.id, json.dumps(run.to_json()))

    async def save_run(self, run: Run) -> None:
        await self.store.set_flag(RUN + run.id, json.dumps(run.to_json()))

    async def run(self, run_id: str) -> Run | None:
        raw = await self.store.get_flag(RUN + run_id)
        return _parse(Run, raw) if raw else None

    async def unfinished_runs(self) -> list[Run]:
        runs = [_parse(Run, raw) for _, raw in await self.store.flags_with_prefix(RUN, MAX_RUNS)]
        return [run for run in runs if run is not None and run.finished_at is None]

    async def claim_account(self, account_id: str, run_id: str) -> str:
        """Take the account for this run; returns the run that holds it ("" when this run now does)."""
        if await self.store.add_flag(ACCOUNT + account_id, run_id):
            return ""
        holder = await self.store.get_flag(ACCOUNT + account_id) or ""
        return "" if holder == run_id else holder

    async def release_account(self, account_id: str, run_id: str) -> None:
        if await self.store.get_flag(ACCOUNT + account_id) == run_id:
            await self.store.delete_flag(ACCOUNT + account_id)

    async def save(self, item: Adoption) -> None:
        await self.store.set_flag(f"{ITEM}{item.run}:{item.account_id}", json.dumps(item.to_json()))

    async def items(self, run_id: str) -> list[Adoption]:
        rows = await self.store.flags_with_prefix(f"{ITEM}{run_id}:", MAX_ITEMS)
        return [item for _, raw in rows if (item := _parse(Adoption, raw)) is not None]

    async def expect_code(self, item: Adoption) -> None:
        await self.store.set_flag(ADDRESS + normalize_address(item.address), f"{item.run}:{item.account_id}")

    async def stop_expecting(self, address: str) -> None:
        await self.store.delete_flag(ADDRESS + normalize_address(address))

    async def expecting(self, address: str) -> bool:
        """Whether an adoption waits for a code at this address: its update-code mail is RootMail's, not a channel's."""
        return await self.store.get_flag(ADDRESS + normalize_address(address)) is not None


def _parse(kind, raw: str):
    try:
        return kind.from_json(json.loads(raw))
    except (ValueError, TypeError, KeyError):  # written by another version: skipped, never fatal
        logger.warning("unreadable adoption record skipped", extra={"kind": kind.__name__})
        return None
