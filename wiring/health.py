"""Health and readiness: /healthz (the process answers), /readyz (each dependency: ok, starting, or failing with the
reason), and the same answer for the bot's commands that need a part. Parts that opened once are asked again each
time (the store with a short timeout, the mail source from memory), and what they say updates the readiness board, so
"since when" is kept across answers."""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from aiohttp import web

from core.readiness import OK, PartState
from wiring.keys import INBOX, READINESS, STORE

READY_TIMEOUT = 1.0
LIVE_CHECKS: dict[str, Callable[[web.Application], Awaitable[None]]] = {
    "store": lambda app: app[STORE].ping(), "mail_source": lambda app: app[INBOX].ping()}


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    """Never waits long: parts still starting say so from the board; the others' checks give up after a second."""
    parts = [await current(request.app, part.name) for part in request.app[READINESS]]
    checks = {part.name: part.describe() for part in parts}
    ready = all(part.state == OK for part in parts if part.required)
    return web.json_response({"status": "ready" if ready else "not ready", "checks": checks},
                             status=200 if ready else 503)


async def current(app: web.Application, name: str) -> PartState | None:
    """The part's state now: asked again if it opened once, else as the board has it."""
    readiness = app[READINESS]
    part = readiness.get(name)
    if part is None or not part.opened or name not in LIVE_CHECKS:
        return part
    problem = await _problem(LIVE_CHECKS[name](app))
    if problem:
        readiness.failing(name, problem)
    else:
        readiness.ok(name)
    return readiness.get(name)


async def _problem(ping: Awaitable[None]) -> str:
    try:
        await asyncio.wait_for(ping, READY_TIMEOUT)
        return ""
    except asyncio.TimeoutError:
        return f"no answer within {READY_TIMEOUT:.0f} s"
    except Exception as error:  # readiness reports, it never raises
        return type(error).__name__
