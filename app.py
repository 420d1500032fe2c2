"""Composition root: reads settings, builds every part (wiring/), serves the bot, health checks and mail source."""
from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from aiohttp import web

from api.routes import api_app
from bot.adapter import bot_adapter
from bot.poster import BotPoster
from core.adoption.states import AccountApi, Policy
from core.addresses.pool import PoolConfigError, load_pool_file
from core.ports import Clock, Poster, Store
from core.adoption.reconcile import AccountSource
from logs import configure_logging
from mail.graph.routes import LIFECYCLE_PATH, NOTIFICATIONS_PATH, graph_endpoint
from obs.telemetry import Telemetry
from settings import Settings, SettingsError, load_settings
from wiring.api import api_ctx
from wiring.aws import adopt_ctx, org_sync_ctx
from wiring.http import http_ctx
from wiring.keys import (ADAPTER, ADOPTER, BOT, FORWARDER, GATE, HTTP, INBOX, INSPECTOR, MAIL_WAKE, ORG_SYNC,
                         POSTER, REVEALER, SERVICES, SETTINGS, STORE, TELEMETRY, utc_now)
from wiring.mail import forwarder_ctx, gate_for, mail_source_ctx
from wiring.protection import protection_ctx
from wiring.routes import healthz, messages, metrics, readyz
from wiring.store import store_ctx

__all__ = ["create_app", "main", "ADAPTER", "ADOPTER", "BOT", "FORWARDER", "GATE", "HTTP", "INBOX", "INSPECTOR",
           "MAIL_WAKE", "ORG_SYNC", "POSTER", "REVEALER", "SERVICES", "SETTINGS", "STORE", "TELEMETRY"]

logger = logging.getLogger(__name__)


def create_app(settings: Settings, *, store: Store | None = None, poster: Poster | None = None,
               clock: Clock = utc_now, graph_credential: Any = None, org_accounts: AccountSource | None = None,
               org_sync_interval: float | None = None, aws_account: AccountApi | None = None,
               adopt_policy: Policy | None = None) -> web.Application:
    """Build the aiohttp app. `store`, `poster` and `org_accounts` (AWS Organizations) may be injected (tests);
    otherwise built from settings. `org_sync_interval` (seconds) overrides ROOTMAIL_ORG_SYNC_MINUTES."""
    app = web.Application()
    app[SETTINGS] = settings
    app[MAIL_WAKE] = asyncio.Event()
    adapter = app[ADAPTER] = bot_adapter(settings)
    app[POSTER] = poster or BotPoster(adapter, settings.app_id, http=lambda: app[HTTP])
    app[TELEMETRY] = Telemetry()
    app[GATE] = gate_for(settings)
    app.cleanup_ctx.append(store_ctx(store, clock))
    app.cleanup_ctx.append(http_ctx)
    app.cleanup_ctx.append(protection_ctx(clock))
    app.cleanup_ctx.append(forwarder_ctx(clock))
    app.cleanup_ctx.append(mail_source_ctx(clock, graph_credential))
    app.cleanup_ctx.append(api_ctx(clock))
    app.cleanup_ctx.append(org_sync_ctx(org_accounts, clock, org_sync_interval))
    app.cleanup_ctx.append(adopt_ctx(aws_account, clock, adopt_policy))
    app.add_subapp("/api/v1", api_app())
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    if settings.mail_source == "graph":  # Graph posts here; graph_credential may be injected (tests)
        app.router.add_post(NOTIFICATIONS_PATH, graph_endpoint(lambda request: request.app[INBOX].accept_notifications))
        app.router.add_post(LIFECYCLE_PATH, graph_endpoint(lambda request: request.app[INBOX].accept_lifecycle))
    return app


def main() -> None:
    try:
        settings = load_settings()
        load_pool_file(settings.pool_file)
    except (SettingsError, PoolConfigError) as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    auth = "Bot Framework JWT validation on" if settings.authenticated else "no authentication (loopback only)"
    logger.info("starting RootMail", extra={"host": settings.host, "port": settings.port, "auth": auth,
                                            "store": settings.store_url.split("://")[0]})
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)


if __name__ == "__main__":
    main()
