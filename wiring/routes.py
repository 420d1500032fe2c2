"""The bot's HTTP edge: /api/messages (only well-formed activities reach the adapter), health, readiness, metrics."""
from __future__ import annotations

import ipaddress
import logging
from typing import Any

import jwt
from aiohttp import web

from bot.service_urls import service_url_allowed
from core.jsonbody import BodyRefused, NotJson, decode_json
from wiring.gate import browser_problem, shape_problem
from wiring.keys import ADAPTER, BOT, INBOX, SETTINGS, STORE, TELEMETRY

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
    except web.HTTPException:
        raise
    except jwt.PyJWTError:  # botbuilder lets a malformed token escape as a decode error
        return problem(401, "The Authorization token is not a valid Bot Framework token.", "Unauthorized")
    except (KeyError, TypeError, AttributeError, ValueError):
        logger.warning("malformed activity rejected", exc_info=True)
        return problem(400, "The activity is malformed.")
    return response or web.Response(status=201)


def problem(status: int, detail: str, title: str = "Bad activity") -> web.Response:
    return web.json_response({"status": status, "title": title, "detail": detail}, status=status,
                             content_type="application/problem+json")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


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


async def readyz(request: web.Request) -> web.Response:
    checks: dict[str, str] = {}
    try:
        await request.app[STORE].ping()
        checks["store"] = "ok"
    except Exception as error:  # readiness reports, it never raises
        checks["store"] = f"failing: {type(error).__name__}"
    inbox = request.app.get(INBOX)
    if request.app[SETTINGS].mail_source != "none":
        try:
            await inbox.ping()
            checks["mail_source"] = "ok"
        except Exception as error:
            checks["mail_source"] = f"failing: {type(error).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return web.json_response({"status": "ready" if ready else "not ready", "checks": checks},
                             status=200 if ready else 503)
