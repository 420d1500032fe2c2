"""Composition root: reads settings, builds every part (wiring/), serves the bot, health checks and mail source."""
from __future__ import annotations

import asyncio
import errno
import logging
import sys
from typing import Any

from aiohttp import web

from api import root_access
from api.routes import api_app
from bot.service_urls import ServiceUrls
from bot.adapter import bot_adapter
from bot.poster import BotPoster
from core.adoption.states import AccountApi, Policy
from core.addresses.pool import PoolConfigError, load_pool_file
from core.errors import StartupError
from core.ports import Clock, Poster, Store
from core.readiness import Readiness
from crypto.box import KeyFileExposed
from core.root_access.api import RootAccessApi
from core.adoption.reconcile import AccountSource
from logs import configure_logging
from mail.graph.routes import LIFECYCLE_PATH, NOTIFICATIONS_PATH, graph_endpoint
from obs.telemetry import Telemetry
from settings import Settings, SettingsError, load_settings
from wiring.api import api_ctx
from wiring.aws import adopt_ctx, org_sync_ctx
from wiring.http import http_ctx
from wiring.keys import (ADAPTER, ADOPTER, BOT, FORWARDER, GATE, HTTP, INBOX, INSPECTOR, MAIL_WAKE, ORG_SYNC,
                         POSTER, READINESS, REVEALER, SERVICES, SETTINGS, STORE, TELEMETRY, utc_now)
from wiring.mail import forwarder_ctx, gate_for, mail_source_ctx
from wiring.protection import protection_ctx
from wiring.health import healthz, readyz
from wiring.root_access import RootTuning, root_access_ctx
from wiring.routes import graph_inbox, messages, metrics
from wiring.server import serve
from wiring.store import store_ctx

__all__ = ["create_app", "main", "ADAPTER", "ADOPTER", "BOT", "FORWARDER", "GATE", "HTTP", "INBOX", "INSPECTOR",
           "MAIL_WAKE", "ORG_SYNC", "POSTER", "REVEALER", "SERVICES", "SETTINGS", "STORE", "TELEMETRY"]

logger = logging.getLogger(__name__)


def create_app(settings: Settings, *, store: Store | None = None, poster: Poster | None = None,
               clock: Clock = utc_now, graph_credential: Any = None, org_accounts: AccountSource | None = None,
               org_sync_interval: float | None = None, aws_account: AccountApi | None = None,
               adopt_policy: Policy | None = None, identities_verified: bool | None = None,
               root_access_api: RootAccessApi | None = None, root_tuning: RootTuning | None = None) -> web.Application:
    """Build the aiohttp app. `store`, `poster`, `org_accounts` (AWS Organizations) and `root_access_api` may be
    injected (tests); otherwise built from settings. `org_sync_interval` (seconds) overrides ROOTMAIL_ORG_SYNC_MINUTES.
    `identities_verified`: whether activities prove who sent them; by default only with Bot Framework authentication
    (MicrosoftAppId), and only then are admins recognised. Tests that post unsigned activities in Teams' place pass
    True to reach admin features; main() never does."""
    app = web.Application()
    app[SETTINGS] = settings
    app[MAIL_WAKE] = asyncio.Event()
    adapter = app[ADAPTER] = bot_adapter(settings)
    app[POSTER] = poster or BotPoster(adapter, settings.app_id, http=lambda: app[HTTP],
                                           service_urls=ServiceUrls.of(settings))
    app[TELEMETRY] = Telemetry()
    app[READINESS] = Readiness(clock)
    app[GATE] = gate_for(settings)
    app.cleanup_ctx.append(store_ctx(store, clock))
    app.cleanup_ctx.append(http_ctx)
    app.cleanup_ctx.append(protection_ctx(clock, settings.authenticated if identities_verified is None
                                          else identities_verified))
    app.cleanup_ctx.append(forwarder_ctx(clock))
    app.cleanup_ctx.append(mail_source_ctx(clock, graph_credential))
    app.cleanup_ctx.append(api_ctx(clock))
    app.cleanup_ctx.append(org_sync_ctx(org_accounts, clock, org_sync_interval))
    app.cleanup_ctx.append(adopt_ctx(aws_account, clock, adopt_policy))
    app.cleanup_ctx.append(root_access_ctx(root_access_api, clock, root_tuning))
    api = api_app()
    api.add_routes(root_access.routes)
    app.add_subapp("/api/v1", api)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    if settings.mail_source == "graph":  # Graph posts here; graph_credential may be injected (tests)
        app.router.add_post(NOTIFICATIONS_PATH,
                            graph_endpoint(lambda request: graph_inbox(request).accept_notifications))
        app.router.add_post(LIFECYCLE_PATH, graph_endpoint(lambda request: graph_inbox(request).accept_lifecycle))
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
    try:
        serve(create_app(settings), settings.host, settings.port)  # web.run_app; unparsable requests echo nothing
    except KeyFileExposed as exposed:
        print(f"RootMail cannot start: {exposed}", file=sys.stderr)
        raise SystemExit(2) from None
    except StartupError as error:  # expected: one line that names the setting, no traceback
        logger.error("RootMail cannot start: %s", error)
        raise SystemExit(2) from None
    except OSError as error:
        if error.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        logger.error("RootMail cannot listen on %s:%s (ROOTMAIL_HOST, ROOTMAIL_PORT): %s", settings.host,
                     settings.port, error.strerror)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
