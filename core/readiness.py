"""What RootMail depends on and how each part is doing — starting, ok, or failing with a reason — and since when.

Parts that talk to the cloud (the store, the mail source, AWS) start in the background and retry; the HTTP server
answers meanwhile. `/readyz` and the bot read this board instead of waiting on the cloud themselves.
"""
from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Iterator

from core.ports import Clock

STARTING, OK, FAILING = "starting", "ok", "failing"


@dataclass(frozen=True)
class PartState:
    name: str
    label: str  # what people call it: "the store (Azure Cosmos DB)"
    state: str
    since: datetime
    reason: str = ""
    required: bool = True  # not ready while a required part is not ok
    opened: bool = False  # it was ok once: from then on its state comes from asking it (a live check)

    def describe(self) -> str:
        return f"{FAILING}: {self.reason}" if self.state == FAILING else self.state


class Readiness:
    def __init__(self, clock: Clock):
        self._clock = clock
        self._parts: dict[str, PartState] = {}
        self._ok: dict[str, asyncio.Event] = {}

    def add(self, name: str, label: str, required: bool = True) -> None:
        self._parts[name] = PartState(name, label, STARTING, self._clock(), "", required)
        self._ok[name] = asyncio.Event()

    def ok(self, name: str) -> None:
        self._set(name, OK, "")
        self._parts[name] = replace(self._parts[name], opened=True)
        self._ok[name].set()

    def failing(self, name: str, reason: str) -> None:
        self._set(name, FAILING, reason)
        self._ok[name].clear()

    def _set(self, name: str, state: str, reason: str) -> None:
        part = self._parts[name]
        since = part.since if part.state == state else self._clock()  # "since when" is since it first failed
        self._parts[name] = replace(part, state=state, reason=reason[:300], since=since)

    def get(self, name: str) -> PartState | None:
        return self._parts.get(name)

    def __iter__(self) -> Iterator[PartState]:
        return iter(list(self._parts.values()))

    @property
    def ready(self) -> bool:
        return all(p.state == OK for p in self._parts.values() if p.required)

    async def wait_ok(self, name: str) -> None:
        await self._ok[name].wait()


def backoff(attempt: int, first: float = 1.0, cap: float = 60.0,
            rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retry `attempt` (1, 2, …): exponential and capped, jittered over its upper half, so
    instances that lost the same dependency do not all come back at the same moment."""
    ceiling = min(cap, first * 2 ** min(attempt - 1, 30))
    return ceiling / 2 + rand() * ceiling / 2
