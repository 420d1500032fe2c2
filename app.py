"""Composition root: reads settings, builds every part, serves the bot, health checks and mail source."""
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import secrets
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
import jwt
from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

import cards
from api.auth import ENTRA_METADATA, Jwks, TokenValidator
from api.routes import API, ApiServices, api_app
from bot.activity_bot import RootMailBot
from bot.adopt import CardBoard
from bot.members import TeamsMembership
from bot.reveal import TeamsMessenger
from bot.poster import BotPoster
from bot.services import Services
from cards.drift import drift_card
from cards.pool import aliases_missing_card
from core.adopt import AccountApi, Policy
from core.adoption import Adopter
from core.allocation import Allocator, load_pool
from core.errors import RootMailError
from cards.protection import private_secret_card, quarantine_card
from core.access import Access, AccessPolicy, StaticGroups
from core.forwarding import Forwarder
from cards.digest import MailCards
from core.lanes import LaneSettings
from core.ratelimit import Window
from core.status import LaneStatus, gather_status
from obs.telemetry import Telemetry
from core.inspection import Inspector, secret_context
from core.reveal import RevealCards, Revealer, wipe_expired
from core.sender_trust import TrustPolicy
from crypto.box import AesGcmBox, load_or_create_key, parse_keys
from core.model import Mailbox
from core.pool import PoolConfigError, load_pool_file
from core.ports import Clock, PostFailed, Poster, Store
from core.reconcile import AccountSource, Drift, OrgSync, SyncFailed
from logs import configure_logging
from mail.graph_routes import LIFECYCLE_PATH, NOTIFICATIONS_PATH, graph_endpoint
from settings import ROOT, Settings, SettingsError, load_settings
from storage.sqlite import open_sqlite

logger = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
SERVICES = web.AppKey("services", Services)
ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", RootMailBot)
POSTER = web.AppKey("poster", Poster)
FORWARDER = web.AppKey("forwarder", Forwarder)
MAIL_WAKE = web.AppKey("mail_wake", asyncio.Event)
INBOX = web.AppKey("inbox", object)
INSPECTOR = web.AppKey("inspector", Inspector)
REVEALER = web.AppKey("revealer", Revealer)
TELEMETRY = web.AppKey("telemetry", Telemetry)
WIPE_SECONDS = 30.0  # how often sealed secrets past their reveal window are looked for and wiped
ORG_SYNC = web.AppKey("org_sync", OrgSync)
ADOPTER = web.AppKey("adopter", Adopter)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class _BotConfig:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings):
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.app_tenant_id


def create_app(settings: Settings, *, store: Store | None = None, poster: Poster | None = None,
               clock: Clock = utc_now, graph_credential: Any = None, org_accounts: AccountSource | None = None,
               org_sync_interval: float | None = None, aws_account: AccountApi | None = None,
               adopt_policy: Policy | None = None) -> web.Application:
    """Build the aiohttp app. `store`, `poster` and `org_accounts` (AWS Organizations) may be injected (tests);
    otherwise built from settings. `org_sync_interval` (seconds) overrides ROOTMAIL_ORG_SYNC_MINUTES."""
    app = web.Application()
    app[SETTINGS] = settings
    app[MAIL_WAKE] = asyncio.Event()
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_BotConfig(settings)))
    adapter.on_turn_error = _on_turn_error
    app[ADAPTER] = adapter
    app[POSTER] = poster or BotPoster(adapter, settings.app_id)
    app[TELEMETRY] = Telemetry()
    app.cleanup_ctx.append(_store_ctx(store, clock))
    app.cleanup_ctx.append(_poster_ctx)
    app.cleanup_ctx.append(_protection_ctx(clock))
    app.cleanup_ctx.append(_forwarder_ctx(clock))
    app.cleanup_ctx.append(_mail_source_ctx(clock, graph_credential))
    app.cleanup_ctx.append(_api_ctx(clock))
    app.cleanup_ctx.append(_org_sync_ctx(org_accounts, clock, org_sync_interval))
    app.cleanup_ctx.append(_adopt_ctx(aws_account, clock, adopt_policy))
    app.add_subapp("/api/v1", api_app())
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    if settings.mail_source == "graph":  # Graph posts here; graph_credential may be injected (tests)
        app.router.add_post(NOTIFICATIONS_PATH, graph_endpoint(lambda request: request.app[INBOX].accept_notifications))
        app.router.add_post(LIFECYCLE_PATH, graph_endpoint(lambda request: request.app[INBOX].accept_lifecycle))
    return app


async def _on_turn_error(turn_context, error: Exception) -> None:
    logger.error("unhandled error in a turn", exc_info=error)


async def _poster_ctx(app: web.Application) -> AsyncIterator[None]:
    """The poster's HTTP session outlives every task that posts (their contexts end first)."""
    yield
    if close := getattr(app[POSTER], "close", None):
        await close()


def _store_ctx(injected: Store | None, clock: Clock):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        async with contextlib.AsyncExitStack() as stack:
            store = injected or await stack.enter_async_context(_open_store(settings))
            await load_pool(store, _pool(settings), settings.pool_low_watermark)
            app[STORE] = store
            allocator = Allocator(store, clock, lambda: secrets.token_hex(2), settings.pool_low_watermark,
                                  _low_pool_notifier(app))
            app[SERVICES] = Services(store, clock, allocator, lambda: uuid.uuid4().hex,
                                     settings.admin_conversation or None, settings.page_size)
            app[BOT] = RootMailBot(app[SERVICES])
            yield
    return ctx


def _open_store(settings: Settings):
    if settings.store_url.startswith("sqlite:///"):
        path = Path(settings.store_url.removeprefix("sqlite:///"))
        return open_sqlite(path if path.is_absolute() else ROOT / path)
    from storage.factory import open_store  # azure.cosmos is imported only when Cosmos is configured

    return open_store(settings)


def _low_pool_notifier(app: web.Application):
    async def notify(mailbox: Mailbox, free: int) -> None:
        settings = app[SETTINGS]
        admin = settings.admin_conversation and await app[STORE].get_conversation(settings.admin_conversation)
        if not admin:
            return
        card = cards.pool_low_card(mailbox.address, free, settings.pool_low_watermark)
        try:
            await app[POSTER].post(admin, card, f"Alias pool of {mailbox.address} is running low")
        except PostFailed as failure:
            logger.warning("could not tell admins the pool is low", extra={"reason": failure.reason})
    return notify


def _pool(settings: Settings) -> list:
    """The pool file; with a Graph source the aliases come from Exchange, so the file's are ignored."""
    pool = load_pool_file(settings.pool_file)
    return [(mailbox, []) for mailbox, _ in pool] if settings.mail_source.startswith("graph") else pool


def _protection_ctx(clock: Clock):
    """Sender checks and sealing at ingest, who may do what, Reveal, and wiping secrets once their window closed."""
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, store = app[SETTINGS], app[STORE]
        box = AesGcmBox(_secret_keys(settings))
        app[INSPECTOR] = Inspector(TrustPolicy(settings.authserv_ids, settings.aws_sender_domains), box,
                                   timedelta(minutes=settings.reveal_minutes))
        access = Access(AccessPolicy(
            allowed_tenants=frozenset(settings.allowed_tenants or ([settings.app_tenant_id.lower()]
                                                                   if settings.app_tenant_id else [])),
            admins=frozenset(settings.admins), admin_group=settings.admin_group,
            requester_group=settings.requester_group, admin_conversation=settings.admin_conversation),
            StaticGroups.from_file(settings.groups_file) if settings.groups_file else StaticGroups())
        revealer = Revealer(store, clock, box, access, TeamsMembership(app[ADAPTER], settings.app_id),
                            TeamsMessenger(app[ADAPTER], settings.app_id),
                            RevealCards(cards.mail_card, private_secret_card))
        app[REVEALER] = revealer
        services = app[SERVICES]
        services.access, services.revealer, services.poster = access, revealer, app[POSTER]
        task = asyncio.create_task(_wipe_every(store, clock, revealer), name="wipe-secrets")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return ctx


def _secret_keys(settings: Settings) -> list[bytes]:
    if settings.secret_key:
        return parse_keys(settings.secret_key)
    if settings.store_url == "cosmos":
        logger.warning("ROOTMAIL_SECRET_KEY is not set: this instance seals codes with its own key, which other "
                       "instances cannot open; set the same key on every instance")
    folder = Path(settings.store_url.removeprefix("sqlite:///")).parent if settings.store_url != "cosmos" else Path("var")
    return load_or_create_key((folder if folder.is_absolute() else ROOT / folder) / "secret.key")


async def _wipe_every(store: Store, clock: Clock, revealer: Revealer) -> None:
    while True:
        try:
            while await wipe_expired(store, clock, on_wiped=revealer.expired) > 0:
                pass
        except Exception:  # the store may be briefly away; the next round retries
            logger.exception("wiping expired secrets failed; will retry")
        await asyncio.sleep(WIPE_SECONDS)


def _forwarder_ctx(clock: Clock):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        lanes = LaneSettings(settings.digest_threshold, settings.digest_max,
                             shared=(Window(settings.teams_app_rps, 1.0),) if settings.teams_app_rps else ())
        forwarder = Forwarder(app[STORE], app[POSTER], clock, cards.mail_card, settings.instance_id,
                              settings.admin_conversation or None, quarantine=quarantine_card,
                              cards=MailCards(cards.mail_card, quarantine_card), lanes=lanes, metrics=app[TELEMETRY])
        app[FORWARDER] = forwarder
        app[TELEMETRY].gauge("queue_depth", lambda: forwarder.lanes.queued + forwarder.lanes.in_flight,
                             "Mails waiting in this instance's lanes or being posted")

        def lane_status() -> LaneStatus:
            depths = sorted(forwarder.lanes.depths().items(), key=lambda item: -item[1])[:5]
            return LaneStatus(forwarder.lanes.queued, forwarder.lanes.in_flight, depths, forwarder.lanes.posts,
                              forwarder.lanes.digests)
        app[SERVICES].status = lambda: gather_status(app[STORE], clock(), settings.mail_source.startswith("graph"),
                                                     lane_status())
        task = asyncio.create_task(forwarder.run(app[MAIL_WAKE]), name="forwarder")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return ctx


def _mail_source_ctx(clock: Clock, graph_credential: Any = None):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        if settings.mail_source.startswith("graph"):
            async with _graph_source(app, clock, graph_credential) as source:
                app[INBOX] = source
                yield
            return
        if settings.mail_source != "smtp":
            yield
            return
        from mail.smtp_inbox import SmtpInbox

        inbox = SmtpInbox(app[STORE], clock, host=settings.smtp_host, port=settings.smtp_port,
                          max_bytes=settings.smtp_max_bytes, domains=settings.smtp_domains,
                          on_new_mail=app[MAIL_WAKE].set, inspector=app[INSPECTOR])
        await inbox.start()
        app[INBOX] = inbox
        logger.info("SMTP inbox listening", extra={"host": settings.smtp_host, "port": inbox.port})
        yield
        await inbox.stop()
    return ctx


@contextlib.asynccontextmanager
async def _graph_source(app: web.Application, clock: Clock, credential: Any) -> AsyncIterator[Any]:
    from mail.graph_wiring import GraphConfig, open_graph_source  # msgraph loads only when Graph is configured

    settings = app[SETTINGS]
    async with open_graph_source(GraphConfig.from_settings(settings), app[STORE], clock,
                                 load_pool_file(settings.pool_file), app[MAIL_WAKE].set,
                                 _missing_aliases_notifier(app), credential, app[INSPECTOR]) as source:
        app[FORWARDER].settled = source.settled
        app[SERVICES].sync_pool = source.sync_pool
        yield source


def _missing_aliases_notifier(app: web.Application):
    async def notify(mailbox: Mailbox, missing: tuple[str, ...]) -> None:
        admin_id = app[SETTINGS].admin_conversation
        admin = admin_id and await app[STORE].get_conversation(admin_id)
        if not admin:
            return
        owners = {}
        for alias in missing:
            record = await app[STORE].get_address(alias)
            if record:
                owners[alias] = " / ".join(p for p in (record.owner.team_name, record.owner.name) if p) or "assigned"
        try:
            await app[POSTER].post(admin, aliases_missing_card(mailbox.address, missing, owners),
                                   f"Aliases of {mailbox.address} disappeared from Exchange")
        except PostFailed as failure:
            logger.warning("could not tell admins about missing aliases", extra={"reason": failure.reason})
    return notify


def _api_ctx(clock: Clock):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, services = app[SETTINGS], app[SERVICES]
        async with contextlib.AsyncExitStack() as stack:
            validator = None
            if settings.api_audiences:
                session = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(15)))
                tenant = settings.api_tenant_id or settings.app_tenant_id
                jwks = Jwks(session, settings.api_metadata_url or ENTRA_METADATA.format(tenant=tenant), tenant)
                validator = TokenValidator(jwks, settings.api_audiences, tenant)
            app[API] = ApiServices(app[STORE], clock, services.allocator, validator, services.environments)
            yield
    return ctx


def _org_sync_ctx(injected: AccountSource | None, clock: Clock, interval: float | None):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        source = injected or _org_source(settings)
        if source is None:
            yield
            return
        sync = OrgSync(app[STORE], clock, source)
        app[ORG_SYNC] = sync
        app[SERVICES].org_sync = sync.run
        seconds = interval if interval is not None else settings.org_sync_minutes * 60
        task = asyncio.create_task(_sync_every(app, sync, seconds, clock), name="org-sync") if seconds else None
        yield
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return ctx


def _org_source(settings: Settings) -> AccountSource | None:
    if not settings.org_role_arn:
        return None
    from aws.organizations import OrganizationsAccounts  # boto3 is imported only when the sync is configured

    return OrganizationsAccounts(settings.org_role_arn, settings.org_region, settings.org_external_id)


async def _sync_every(app: web.Application, sync: OrgSync, seconds: float, clock: Clock) -> None:
    """Run the sync once per time slot (one instance per slot) and post drift news to the admin conversation."""
    async def post(drift: Drift) -> None:
        admin_id = app[SETTINGS].admin_conversation
        admin = admin_id and await app[STORE].get_conversation(admin_id)
        if admin:
            await app[POSTER].post(admin, drift_card(drift), "AWS Organizations drift")

    while True:
        now = clock().timestamp()
        await asyncio.sleep(seconds - now % seconds)
        try:
            await sync.scheduled(int(clock().timestamp() // seconds), post)
        except (SyncFailed, RootMailError, PostFailed) as failure:
            logger.warning("scheduled AWS Organizations sync failed", extra={"reason": str(failure)})
        except Exception:
            logger.exception("scheduled AWS Organizations sync failed")


def _adopt_ctx(injected: AccountApi | None, clock: Clock, policy: Policy | None):
    """`adopt`: AWS Account Management on its own role; code mails diverted from the forwarder; runs resumed."""
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        api = injected or _adopt_api(settings)
        if api is None or not settings.adopt_role_arn:
            yield
            return
        box = app[INSPECTOR].box
        adopter = Adopter(app[STORE], clock, api, app[SERVICES].allocator,
                          lambda mail: box.open(mail.secret, secret_context(mail.key)),
                          CardBoard(app[POSTER], TeamsMessenger(app[ADAPTER], settings.app_id)), settings.instance_id,
                          policy or Policy(code_wait=timedelta(minutes=settings.adopt_code_minutes)),
                          settings.adopt_concurrency)
        app[ADOPTER] = adopter
        app[SERVICES].adoption = adopter
        app[FORWARDER].divert = adopter.divert
        await adopter.resume()
        yield
        await adopter.close()
        if injected is None:
            api.close()
    return ctx


def _adopt_api(settings: Settings) -> AccountApi | None:
    if not settings.adopt_role_arn:
        return None
    from aws.account import AccountClient  # boto3 is imported only when adoption is configured

    return AccountClient(settings.adopt_role_arn, settings.org_region, settings.org_external_id)


async def messages(request: web.Request) -> web.StreamResponse:
    """Hand a Bot Framework activity to the adapter, after rejecting what is not one."""
    if "application/json" not in request.headers.get("Content-Type", ""):
        return _problem(415, "Activities must be sent as application/json.")
    try:
        body: Any = await request.json()
    except ValueError:
        return _problem(400, "The body is not valid JSON.")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return _problem(400, "The body is not a Bot Framework activity (no 'type').")
    if not isinstance(body.get("conversation"), dict) or not body["conversation"].get("id"):
        return _problem(400, "The activity has no conversation id.")
    try:
        response = await request.app[ADAPTER].process(request, request.app[BOT])
    except web.HTTPException:
        raise
    except jwt.PyJWTError:  # botbuilder lets a malformed token escape as a decode error
        return _problem(401, "The Authorization token is not a valid Bot Framework token.", "Unauthorized")
    except (KeyError, TypeError, AttributeError, ValueError):
        logger.warning("malformed activity rejected", exc_info=True)
        return _problem(400, "The activity is malformed.")
    return response or web.Response(status=201)


def _problem(status: int, detail: str, title: str = "Bad activity") -> web.Response:
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
