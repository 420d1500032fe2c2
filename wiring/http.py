"""The app's one outbound HTTP session: the Bot Connector (proactive posts) and Entra ID's signing keys share it.
It closes last of all but the store, after every task that could still use it has stopped."""
from __future__ import annotations

from typing import AsyncIterator

import aiohttp
from aiohttp import web

from bot.poster import USER_AGENT
from wiring.keys import HTTP


async def http_ctx(app: web.Application) -> AsyncIterator[None]:
    # no session-wide timeout: every call sets its own (STYLE: every outbound call has a timeout)
    async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:
        app[HTTP] = session
        yield
