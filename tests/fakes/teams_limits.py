"""A fake Bot Connector that enforces Teams' limits on every call: over a limit it answers 429, as Teams does.

msteams-docs bots/how-to/rate-limit.md, "Per bot per thread limit": send to conversation (posts, and card updates: "all
requests are subject to the same rate limiting policy") 7 / 1 s, 8 / 2 s, 60 / 30 s, 1,800 / hour per conversation;
create conversation the same per 1:1 thread; get conversation members 14 / 1 s, 16 / 2 s, 120 / 30 s, 3,600 / hour
per team or chat; and per tenant (all conversations together) 50 / s. Whether a 429 carries Retry-After is not settled
by the docs: the status table of conversation-messages.md says Throttled "also returns when to retry after", the
rate-limit page asks for exponential backoff with jitter instead. `retry_after` chooses; tests cover both.
Posts it accepts are recorded with the moment and the RootMail mails they carry (card elements with id `mail:<key>`), so
a test can tell lost from duplicated mail. Runs in-process (`app()`) or on its own (`python -m tests.fakes.teams_limits`,
which prints {"port": N} and serves its record at GET /_record), so a benchmark can keep it out of RootMail's process.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from aiohttp import web

from core.delivery.ratelimit import (TEAMS_APP_PER_TENANT, TEAMS_CONVERSATION, TEAMS_CREATE, TEAMS_MEMBERS, Limiter,
                                     Window)
from tests.fakes.connector import FakeConnector, Sent

MAIL_ID = re.compile(rb'"id":\s*"mail:([0-9a-f]{40})"')
REPEAT_NOTE = b"Possibly a repeat"  # cards.digest: a post of mail RootMail may have posted before


@dataclass(frozen=True)
class Accepted:
    conversation_id: str
    at: float  # seconds since the connector started
    keys: tuple[str, ...]  # mails the post carries: one for a mail card, many for a digest
    flagged_repeat: bool = False  # the card says it may repeat an earlier post


@dataclass
class TeamsLimitedConnector(FakeConnector):
    per_conversation: tuple[Window, ...] = TEAMS_CONVERSATION
    per_tenant: tuple[Window, ...] = TEAMS_APP_PER_TENANT
    per_create: tuple[Window, ...] = TEAMS_CREATE
    per_members: tuple[Window, ...] = TEAMS_MEMBERS
    latency: float = 0.0  # seconds each accepted post takes, as a real service would
    keep_activities: bool = True  # False: keep only `accepted` (a 10,000-post benchmark need not hold every card)
    late: int = 0  # this many posts are accepted but answered only after `hang_seconds`: the client gives up first
    clock: Callable[[], float] = time.monotonic
    retry_after: bool = True  # send Retry-After with a 429
    accepted: list[Accepted] = field(default_factory=list)
    throttled: Counter = field(default_factory=Counter)  # conversation (or "create:<user>") -> 429s answered
    _started: float = field(default_factory=time.monotonic)
    _conversations: dict[str, Limiter] = field(default_factory=dict)
    _tenants: dict[str, Limiter] = field(default_factory=dict)
    _other: dict[tuple[str, str], Limiter] = field(default_factory=dict)  # creates per user, member reads per thread

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_get("/_record", self._record)
        return app

    async def _send(self, request: web.Request) -> web.Response:
        if fault := await self._fault():
            return fault
        raw = await request.read()
        activity = json.loads(raw)
        conversation = request.match_info["cid"]
        now = self.clock()
        if refusal := self._limited("send", conversation, self.per_conversation):
            return refusal
        if self.latency:
            await asyncio.sleep(self.latency)
        late, self.late = self.late > 0, max(0, self.late - 1)
        activity_id = f"activity-{next(self._ids)}"
        keys = tuple(k.decode() for k in MAIL_ID.findall(raw))
        self.accepted.append(Accepted(conversation, now - self._started, keys, REPEAT_NOTE in raw))
        if self.keep_activities:
            async with self._arrived:
                self.sent.append(Sent(conversation, activity, request.match_info.get("aid"), activity_id))
                self._arrived.notify_all()
        if late:
            await asyncio.sleep(self.hang_seconds)
        return web.json_response({"id": activity_id})

    def _too_many(self, wait: float) -> web.Response:
        """429 Throttled, "Too many requests." (conversation-messages.md, "Status code responses")."""
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if self.retry_after else {}
        return web.json_response({"error": {"code": "Throttled", "message": "Too many requests."}}, status=429,
                                 headers=headers)

    def _limited(self, kind: str, key: str, windows: tuple[Window, ...]) -> web.Response | None:
        """Count one call of `kind` against `key`'s windows and the tenant's; the 429 when over either. One tenant:
        RootMail's tests use one."""
        now = self.clock()
        limiter = (self._conversations.setdefault(key, Limiter(windows)) if kind == "send"
                   else self._other.setdefault((kind, key), Limiter(windows)))
        shared = self._tenants.setdefault("", Limiter(self.per_tenant))
        wait = max(limiter.wait(now), shared.wait(now))
        if wait > 0:
            self.throttled[f"{kind}:{key}" if kind != "send" else key] += 1
            return self._too_many(wait)
        limiter.record(now)
        shared.record(now)
        return None

    async def _update(self, request: web.Request) -> web.Response:
        """An update (PUT .../activities/{id}) is a send to that conversation and shares its windows."""
        if refusal := self._limited("send", request.match_info["cid"], self.per_conversation):
            return refusal
        return await super()._update(request)

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        member = ((body.get("members") or [{}])[0] or {}).get("id", "")
        if refusal := self._limited("create", member, self.per_create):
            return refusal
        return await super()._create(request)

    async def _member(self, request: web.Request) -> web.Response:
        if refusal := self._limited("members", request.match_info["cid"], self.per_members):
            return refusal
        return await super()._member(request)

    async def _paged_members(self, request: web.Request) -> web.Response:
        if refusal := self._limited("members", request.match_info["cid"], self.per_members):
            return refusal
        return await super()._paged_members(request)

    async def _record(self, request: web.Request) -> web.Response:
        """What was accepted from the `after`-th post on (all by default): a poller reads only what is new, so
        polling costs the benchmark's process next to nothing."""
        after = int(request.query.get("after", "0"))
        return web.json_response({"accepted": [[a.conversation_id, a.at, list(a.keys)] for a in self.accepted[after:]],
                                  "throttled": dict(self.throttled), "started": self._started})

    def deliveries(self) -> Counter:
        """How many times each mail reached a channel (as its own card or inside a digest)."""
        return Counter(key for post in self.accepted for key in post.keys)

    async def wait_for_mails(self, keys: set[str], timeout: float) -> None:
        """Until every mail in `keys` was delivered at least once."""
        deadline = time.monotonic() + timeout
        while not keys <= set(self.deliveries()):
            if time.monotonic() > deadline:
                missing = keys - set(self.deliveries())
                raise TimeoutError(f"{len(missing)} of {len(keys)} mails never reached a channel")
            await asyncio.sleep(0.05)


async def _serve(port: int, latency: float) -> None:
    fake = TeamsLimitedConnector(latency=latency, keep_activities=False)
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(json.dumps({"port": runner.addresses[0][1]}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description="fake Bot Connector with Teams' rate limits")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.latency))


if __name__ == "__main__":
    main()
