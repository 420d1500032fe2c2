"""The bot's HTTP edge: /api/messages (only well-formed activities reach the adapter), health, readiness, metrics."""
from __future__ import annotations

import ipaddress
import logging
from typing import Any

from aiohttp import web

from wiring.keys import ADAPTER, BOT, INBOX, SETTINGS, STORE, TELEMETRY

logger = logging.getLogger(__name__)


async def messages(request: web.Request) -> web.StreamResponse:
    """Hand a Bot Framework activity to the adapter, after rejecting what is not one."""
    if "application/json" not in request.headers.get("Content-Type", ""):
        return problem(415, "Activities must be sent as application/json.")
    try:
        body: Any = await request.json()
    except ValueError:
        return problem(400, "The body is not valid JSON.")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return problem(400, "The body is not a Bot Framework activity (no 'type').")
    if not isinstance(body.get("conversation"), dict) or not body["conversation"].get("id"):
        return problem(400, "The activity has no conversation id.")
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
