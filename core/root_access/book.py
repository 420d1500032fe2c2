"""Where centralized root access keeps its state: store flags holding JSON, as adoption runs and transfers do.

    root:task:<id>                  a Task
    root:decided:<id>               the one approval or decline of a task (add_flag: the first decision wins)
    root:posture:<account>          the account's Posture at the last audit
    root:summary                    the last audit as a whole (Summary)
    root:reported                   digest of the posture last posted to the admin conversation
    root:grant:<address>:<task>     a recovery grant: who may reveal the reset link, from when until when
    root:follow-up:<task>           a recovery whose credentials are deleted again once its window closes
    root:running:<task>             an approved task not finished yet (resumed after a restart)
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from core.ports import Store
from core.root_access.model import Actor, Posture, Task, dump, load

logger = logging.getLogger(__name__)

TASK, DECIDED, POSTURE, SUMMARY, REPORTED = "root:task:", "root:decided:", "root:posture:", "root:summary", "root:reported"
GRANT, FOLLOW_UP, RUNNING = "root:grant:", "root:follow-up:", "root:running:"
MAX_ACCOUNTS = 20_000
MAX_GRANTS = 50


@dataclass(frozen=True)
class Summary:
    at: datetime
    features: tuple[str, ...]
    management_account: str
    members: int  # member accounts audited
    exposed: int  # of them, with any root credential left
    failed: int  # could not be read
    digest: str = ""
    problem: str = ""  # why the audit could not run at all

    def to_json(self) -> dict[str, Any]:
        return dump(asdict(self) | {"features": list(self.features)})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Summary":
        summary = load(data, cls)
        return Summary(**asdict(summary) | {"features": tuple(summary.features)})


@dataclass(frozen=True)
class Grant:
    """The approved requester may reveal the reset link (and sign-in codes) that arrive for `address` in the window."""

    task: str
    address: str
    person: Actor
    opened_at: datetime
    until: datetime

    def covers(self, moment: datetime) -> bool:
        return self.opened_at <= moment <= self.until

    def to_json(self) -> dict[str, Any]:
        return dump(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Grant":
        grant = load(data, cls)
        return Grant(**asdict(grant) | {"person": Actor(**data["person"])})


class RootBook:
    def __init__(self, store: Store):
        self.store = store

    # --- tasks ------------------------------------------------------------------------------------------------------
    async def save(self, task: Task) -> None:
        await self.store.set_flag(TASK + task.id, json.dumps(task.to_json()))

    async def task(self, task_id: str) -> Task | None:
        raw = await self.store.get_flag(TASK + task_id) if task_id else None
        return _parse(Task, raw)

    async def decide(self, task_id: str, decision: str) -> bool:
        """Record the task's one decision; False when someone decided it first."""
        return await self.store.add_flag(DECIDED + task_id, decision)

    async def running(self, task_id: str, still: bool) -> None:
        if still:
            await self.store.set_flag(RUNNING + task_id, "1")
        else:
            await self.store.delete_flag(RUNNING + task_id)

    async def unfinished(self) -> list[str]:
        return [name.removeprefix(RUNNING) for name, _ in await self.store.flags_with_prefix(RUNNING, MAX_GRANTS)]

    # --- posture ----------------------------------------------------------------------------------------------------
    async def save_posture(self, posture: Posture) -> None:
        await self.store.set_flag(POSTURE + posture.account_id, json.dumps(posture.to_json()))

    async def posture(self, account_id: str) -> Posture | None:
        return _parse(Posture, await self.store.get_flag(POSTURE + account_id))

    async def postures(self) -> list[Posture]:
        rows = await self.store.flags_with_prefix(POSTURE, MAX_ACCOUNTS)
        return [posture for _, raw in rows if (posture := _parse(Posture, raw)) is not None]

    async def save_summary(self, summary: Summary) -> None:
        await self.store.set_flag(SUMMARY, json.dumps(summary.to_json()))

    async def summary(self) -> Summary | None:
        return _parse(Summary, await self.store.get_flag(SUMMARY))

    # --- recovery grants --------------------------------------------------------------------------------------------
    async def open_grant(self, grant: Grant) -> None:
        await self.store.set_flag(f"{GRANT}{grant.address}:{grant.task}", json.dumps(grant.to_json()))

    async def grants(self, address: str) -> list[Grant]:
        rows = await self.store.flags_with_prefix(f"{GRANT}{address}:", MAX_GRANTS)
        return [grant for _, raw in rows if (grant := _parse(Grant, raw)) is not None]

    async def plan_follow_up(self, task: Task) -> None:
        await self.store.set_flag(FOLLOW_UP + task.id, (task.window_until or task.requested_at).isoformat())

    async def follow_ups_due(self, now: datetime) -> list[str]:
        rows = await self.store.flags_with_prefix(FOLLOW_UP, MAX_GRANTS)
        return [name.removeprefix(FOLLOW_UP) for name, until in rows if datetime.fromisoformat(until) <= now]

    async def follow_up_done(self, task_id: str) -> None:
        await self.store.delete_flag(FOLLOW_UP + task_id)


def _parse(kind, raw: str | None):
    if not raw:
        return None
    try:
        return kind.from_json(json.loads(raw))
    except (ValueError, TypeError, KeyError):  # written by another version: skipped, never fatal
        logger.warning("unreadable root access record skipped", extra={"kind": kind.__name__})
        return None
