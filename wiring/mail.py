"""Mail in and out: the forwarder and its lanes, and the mail source (SMTP inbox or Exchange Online via Graph)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, AsyncIterator

from aiohttp import web

import cards
from cards.digest import MailCards
from cards.pool import aliases_missing_card
from cards.protection import quarantine_card
from core.delivery.forwarding import Forwarder
from core.delivery.gate import Gate
from core.delivery.lanes import LaneSettings
from core.model import Mailbox
from core.addresses.pool import load_pool_file
from core.ports import Clock, PostFailed
from core.delivery.ratelimit import Window
from core.delivery.status import LaneStatus, gather_status
from wiring.keys import (FORWARDER, GATE, GRAPH_CLIENT, INBOX, INSPECTOR, MAIL_WAKE, POSTER, SERVICES, SETTINGS,
                         STORE, TELEMETRY)

logger = logging.getLogger(__name__)


def app_share(settings) -> tuple[Window, ...]:
    """This instance's share of the app-per-tenant limit (ROOTMAIL_TEAMS_APP_RPS); none when 0."""
    return (Window(settings.teams_app_rps, 1.0),) if settings.teams_app_rps else ()


def gate_for(settings) -> Gate:
    """One gate per app: the lanes' posts and every other Bot Connector call count in the same limiters."""
    return Gate(shared=app_share(settings), margin=LaneSettings.margin)


def forwarder_ctx(clock: Clock):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        lanes = LaneSettings(settings.digest_threshold, settings.digest_max, shared=app_share(settings))
        forwarder = Forwarder(app[STORE], app[POSTER], clock, cards.mail_card, settings.instance_id,
                              settings.admin_conversation or None, quarantine=quarantine_card,
                              cards=MailCards(cards.mail_card, quarantine_card), lanes=lanes, metrics=app[TELEMETRY],
                              gate=app[GATE])
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


def mail_source_ctx(clock: Clock, graph_credential: Any = None):
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
    from mail.graph.wiring import GraphConfig, open_graph_source  # msgraph loads only when Graph is configured

    settings = app[SETTINGS]
    async with open_graph_source(GraphConfig.from_settings(settings), app[STORE], clock,
                                 load_pool_file(settings.pool_file), app[MAIL_WAKE].set,
                                 _missing_aliases_notifier(app), credential, app[INSPECTOR]) as source:
        app[FORWARDER].settled = source.settled
        app[SERVICES].sync_pool = source.sync_pool
        app[GRAPH_CLIENT] = source.graph.client  # group membership asks Graph through it too
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
