"""The bot's HTTP edge: /api/messages (only well-formed activities reach the adapter), metrics, Graph's posts."""
from __future__ import annotations

import ipaddress
import logging
from typing import Any

from aiohttp import web

from bot.service_urls import service_url_allowed
from core.jsonbody import BodyRefused, NotJson, decode_json
from wiring.gate import browser_problem, shape_problem
from wiring.keys import ADAPTER, BOT, INBOX, SETTINGS, TELEMETRY

logger = logging.getLogger(__name__)


async def messages(request: web.Request) -> web.StreamResponse:
    """Hand a Bot Framework activity to the adapter, after rejecting what is not one (wiring.gate)."""
    authenticated = request.app[SETTINGS].authenticated
    if request.content_type != "application/json":  # parsed: `text/plain;x=application/json` (cross-site) is not
        return problem(415, "Activities must be sent as application/json.")
    if not authenticated and (refused := browser_problem(request)):
        return problem(403, refused, "Forbidden")
    try:
        body: Any = decode_json(await request.read(), request.charset)
    except web.HTTPRequestEntityTooLarge:
        return problem(413, "The activity is larger than RootMail accepts.", "Too large")
    except (NotJson, BodyRefused) as unreadable:
        return problem(400, str(unreadable))
    if why := shape_problem(body):
        return problem(400, why)
    if not authenticated and not service_url_allowed(body["serviceUrl"], authenticated):
        return problem(403, "Without authentication, RootMail only answers a Bot Connector on loopback.", "Forbidden")
    try:
        response = await request.app[ADAPTER].process(request, request.app[BOT])
    except web.HTTPException:  # 401 for a token the adapter does not accept (bot/adapter.py)
        raise
    except (KeyError, TypeError, AttributeError, ValueError):
        logger.warning("malformed activity rejected", exc_info=True)
        return problem(400, "The activity is malformed.")
    return response or web.Response(status=201)


def problem(status: int, detail: str, title: str = "Bad activity") -> web.Response:
    return web.json_response({"status": status, "title": title, "detail": detail}, status=status,
                             content_type="application/problem+json")


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text; by default only for scrapers on this host (ROOTMAIL_METRICS)."""
    mode = request.app[SETTINGS].metrics
    if mode == "off" or mode == "loopback" and not _from_loopback(request):
        raise web.HTTPNotFound()
    return web.Response(body=request.app[TELEMETRY].prometheus_text().encode(),
                        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


def _from_loopback(request: web.Request) -> bool:
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def graph_inbox(request: web.Request) -> Any:
    """The Graph source, once it is open. Before that Graph's posts get 503: "If the notification isn't persisted,
    return a 5xx class code ... so that Microsoft Graph can retry the notification", for up to 4 hours
    (microsoft-graph-docs-contrib concepts/change-notifications-delivery-webhooks.md); the delta run at start
    catches up what it would have said anyway."""
    inbox = request.app.get(INBOX)
    if inbox is None or not getattr(inbox, "ready", True):
        raise web.HTTPServiceUnavailable(text="RootMail is starting; try again shortly", headers={"Retry-After": "30"})
    return inbox
