"""Every Bot Connector call within Teams' limits: one limiter per kind of call and thread, one for the whole app.

Posts, replies and card updates count as "send to conversation" in their conversation; opening a 1:1 chat as "create
conversation" (per user); membership checks and roster reads as "get conversation members" (per team or chat); a
team's channel list as "get conversations" (msteams-docs bots/how-to/rate-limit.md). Every call also counts against
the app's share of the tenant (core.delivery.ratelimit.TEAMS_APP_PER_TENANT).

A 429 pauses that kind of call in that thread: for the server's Retry-After when it sends one, otherwise by
exponential backoff with random jitter, as the same page asks ("Using an exponential backoff with a random jitter is
the recommended way to handle 429s"; its example: 2 s doubling to 20 s, +/- 20 %).
"""
from __future__ import annotations

import asyncio
import random
import time
from typing import Any, Callable, Iterable

from core.delivery.ratelimit import (TEAMS_APP_PER_TENANT, TEAMS_CONVERSATION, TEAMS_CREATE, TEAMS_MEMBERS, Limiter,
                                     Window)
from core.model import Owner
from core.ports import Poster, PostFailed

SEND, CREATE, MEMBERS, CHANNELS = "send", "create", "members", "channels"
WINDOWS: dict[str, tuple[Window, ...]] = {SEND: TEAMS_CONVERSATION, CREATE: TEAMS_CREATE, MEMBERS: TEAMS_MEMBERS,
                                          CHANNELS: TEAMS_MEMBERS}
BACKOFF_BASE = 2.0  # seconds after the first 429 without Retry-After; doubles with each one after
BACKOFF_CAP = 60.0
JITTER = 0.2  # +/- this share of the pause, so instances that were throttled together do not retry together
MAX_KEYS = 20_000  # limiters kept; idle ones are forgotten beyond this


class Gate:
    """Limiters by (kind, thread) and the app-wide one. Pure bookkeeping plus `acquire`, which waits its turn."""

    def __init__(self, windows: dict[str, Iterable[Window]] | None = None,
                 shared: Iterable[Window] = TEAMS_APP_PER_TENANT, margin: float = 0.0, now: Callable[[], float] = time.monotonic,
                 jitter: Callable[[], float] = random.random, backoff_base: float = BACKOFF_BASE,
                 backoff_cap: float = BACKOFF_CAP):
        self._windows = {kind: tuple(w) for kind, w in {**WINDOWS, **(windows or {})}.items()}
        self._margin, self._now, self._jitter = margin, now, jitter
        self._base, self._cap = backoff_base, backoff_cap
        self.shared = Limiter(shared, margin)
        self._limiters: dict[tuple[str, str], Limiter] = {}
        self._strikes: dict[tuple[str, str], int] = {}  # 429s in a row, for the backoff

    def limiter(self, kind: str, key: str) -> Limiter:
        found = self._limiters.get((kind, key))
        if found is None:
            if len(self._limiters) >= MAX_KEYS:
                self._forget_idle()
            found = self._limiters[(kind, key)] = Limiter(self._windows[kind], self._margin)
        return found

    def wait(self, kind: str, key: str, now: float | None = None) -> float:
        """Seconds until one more call of this kind may go to this thread (0: now)."""
        now = self._now() if now is None else now
        return max(self.limiter(kind, key).wait(now), self.shared.wait(now))

    def take(self, kind: str, key: str, now: float | None = None) -> None:
        now = self._now() if now is None else now
        self.limiter(kind, key).record(now)
        self.shared.record(now)

    async def acquire(self, kind: str, key: str) -> None:
        """Wait until the call may go, then count it."""
        while (delay := self.wait(kind, key)) > 0:
            await asyncio.sleep(delay)
        self.take(kind, key)

    def throttled(self, kind: str, key: str, retry_after: float | None) -> float:
        """Teams answered 429: pause this kind of call in this thread; returns the pause in seconds."""
        strikes = self._strikes[(kind, key)] = self._strikes.get((kind, key), 0) + 1
        if retry_after is not None and retry_after >= 0:
            pause = retry_after
        else:
            pause = min(self._base * 2 ** (strikes - 1), self._cap) * (1 + JITTER * (2 * self._jitter() - 1))
        self.limiter(kind, key).pause(self._now() + pause)
        return pause

    def succeeded(self, kind: str, key: str) -> None:
        """A call went through: the next 429 starts the backoff from its base again."""
        self._strikes.pop((kind, key), None)

    def _forget_idle(self) -> None:
        now = self._now()
        for key in [k for k, limiter in self._limiters.items() if limiter.idle and limiter.wait(now) == 0]:
            del self._limiters[key]
            self._strikes.pop(key, None)


class GatedPoster:
    """core.ports.Poster for posts outside the lanes (notices, transfer requests, replies RootMail starts itself):
    each waits its turn in the conversation's limiter and pauses it on a 429, like a lane's post."""

    def __init__(self, poster: Poster, gate: Gate):
        self._poster, self._gate = poster, gate

    async def post(self, owner: Owner, card: dict[str, Any], summary: str, urgent: bool = False) -> str:
        await self._gate.acquire(SEND, owner.conversation_id)
        try:
            posted = await self._poster.post(owner, card, summary, urgent=urgent)
        except PostFailed as failure:
            if failure.throttled:
                self._gate.throttled(SEND, owner.conversation_id, failure.retry_after)
            raise
        self._gate.succeeded(SEND, owner.conversation_id)
        return posted
