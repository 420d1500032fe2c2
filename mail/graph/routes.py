"""The two endpoints Microsoft Graph posts to: change notifications and lifecycle events. Both answer the
validation handshake, and answer 202 at once: the work happens in the background (Graph slows, then drops,
endpoints that take longer than 10 s)."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

from core.jsonbody import BodyRefused, NotJson, decode_json

logger = logging.getLogger(__name__)

NOTIFICATIONS_PATH = "/api/graph/notifications"
LIFECYCLE_PATH = "/api/graph/lifecycle"
MAX_BODY = 1024 * 1024  # Graph batches at most a few hundred small notifications into one post
MAX_TOKEN = 1024
_MARKUP = frozenset("<>&\"'`")
NOSNIFF = {"X-Content-Type-Options": "nosniff"}  # the echo is text/plain, and a browser must take it as that

Accept = Callable[[list[Any]], Awaitable[int]]


def graph_endpoint(accept: Callable[[web.Request], Accept]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler that echoes `validationToken` as text/plain, else hands the `value` items to `accept`."""
    async def handle(request: web.Request) -> web.Response:
        token = request.query.get("validationToken")
        if token is not None:
            if not validation_token_ok(token):
                return web.Response(status=400, text="not a validation token", headers=NOSNIFF)
            return web.Response(text=token, content_type="text/plain", headers=NOSNIFF)
        if request.content_length and request.content_length > MAX_BODY:
            return web.Response(status=413)
        try:
            body = decode_json(await request.read(), request.charset)
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413)
        except (NotJson, BodyRefused) as unreadable:
            return web.Response(status=400, text=str(unreadable))
        items = body.get("value") if isinstance(body, dict) else None
        if not isinstance(items, list):
            return web.Response(status=400, text="no 'value' list")
        await accept(request)(items)  # what it refused, it logged in one line
        return web.Response(status=202)
    return handle


def validation_token_ok(token: str) -> bool:
    """What Graph sends (concepts/includes/change-notifications-delivery-notificationurl-validation.md in
    microsoft-graph-docs-contrib): an opaque token, "never any value containing HTML or JavaScript code", observed as
    `Validation: Testing client application reachability for subscription Request-Id: <uuid>`. Its length is not
    documented; 1,024 characters is RootMail's own bound, far above the observed ~110. Anything else is not echoed."""
    return 0 < len(token) <= MAX_TOKEN and token.isascii() and token.isprintable() and not _MARKUP & set(token)
