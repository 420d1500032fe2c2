"""The two endpoints Microsoft Graph posts to: change notifications and lifecycle events. Both answer the
validation handshake, and answer 202 at once: the work happens in the background (Graph slows, then drops,
endpoints that take longer than 10 s)."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

logger = logging.getLogger(__name__)

NOTIFICATIONS_PATH = "/api/graph/notifications"
LIFECYCLE_PATH = "/api/graph/lifecycle"
MAX_BODY = 1024 * 1024  # Graph batches at most a few hundred small notifications into one post

Accept = Callable[[list[Any]], Awaitable[int]]


def graph_endpoint(accept: Callable[[web.Request], Accept]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler that echoes `validationToken` as text/plain, else hands the `value` items to `accept`."""
    async def handle(request: web.Request) -> web.Response:
        token = request.query.get("validationToken")
        if token is not None:
            return web.Response(text=token, content_type="text/plain")
        if request.content_length and request.content_length > MAX_BODY:
            return web.Response(status=413)
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="not JSON")
        items = body.get("value") if isinstance(body, dict) else None
        if not isinstance(items, list):
            return web.Response(status=400, text="no 'value' list")
        accepted = await accept(request)(items)
        if accepted < len(items):
            logger.info("graph post partly refused", extra={"items": len(items), "accepted": accepted})
        return web.Response(status=202)
    return handle
