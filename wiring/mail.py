"""Mail in and out: the forwarder and its lanes, and the mail source (SMTP inbox or Exchange Online via Graph).

Both start once the store answers, in the background: the HTTP server never waits for them. The SMTP inbox listens
at once (it answers 451, "try again later", while the store is away, so senders keep the mail); the Graph source
opens after the store, and until it has, Graph's posts get 503 and are delivered again later (delta catches up too).
"""
from __future__ import annotations

import contextlib
import logging
from typing import Any, AsyncIterator

from aiohttp import web

import cards
from cards.digest import MailCards
from cards.pool import aliases_missing_card, mailboxes_unresolved_card
from cards.protection import quarantine_card
from core.delivery.forwarding import Forwarder
from core.delivery.gate import Gate
from core.delivery.lanes import LaneSettings
from core.intake.leak_guard import LeakGuard
from core.model import Mailbox
from core.addresses.pool import load_pool_file
from core.ports import Clock, PostFailed
from core.delivery.ratelimit import Window
from core.delivery.status import LaneStatus, gather_status
from wiring.keys import (FORWARDER, GATE, INBOX, INSPECTOR, MAIL_WAKE, POSTER, READINESS, SERVICES, SETTINGS,
                         STORE, TELEMETRY)
from wiring.later import Later
from wiring.store import stop, when_store_answers

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
                              guard=LeakGuard(app[INSPECTOR].box), gate=app[GATE])
        app[FORWARDER] = forwarder
        app[TELEMETRY].gauge("queue_depth", lambda: forwarder.lanes.queued + forwarder.lanes.in_flight,
                             "Mails waiting in this instance's lanes or being posted")

        def lane_status() -> LaneStatus:
            depths = sorted(forwarder.lanes.depths().items(), key=lambda item: -item[1])[:5]
            return LaneStatus(forwarder.lanes.queued, forwarder.lanes.in_flight, depths, forwarder.lanes.posts,
                              forwarder.lanes.digests)
        app[SERVICES].status = lambda: gather_status(app[STORE], clock(), settings.mail_source.startswith("graph"),
                                                     lane_status())
        task = when_store_answers(app, lambda: forwarder.run(app[MAIL_WAKE]), "forwarder")
        yield
        await stop(task)
    return ctx


def mail_source_ctx(clock: Clock, graph_credential: Any = None):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, readiness = app[SETTINGS], app[READINESS]
        if settings.mail_source.startswith("graph"):
            readiness.add("mail_source", "Exchange Online (Microsoft Graph)")
            app[INBOX] = later = Later("the Graph mail source")
            async with contextlib.AsyncExitStack() as stack:
                opening = when_store_answers(app, lambda: _open_graph(app, clock, graph_credential, stack, later),
                                             "graph-source-open")
                yield
                await stop(opening)
            return
        if settings.mail_source != "smtp":
            yield
            return
        from mail.smtp_inbox import SmtpInbox
        from mail.smtp_trust import SmtpTrust, tls_context

        readiness.add("mail_source", "the SMTP inbox")
        tls = tls_context(settings.smtp_tls_cert, settings.smtp_tls_key) if settings.smtp_tls_cert else None
        inbox = SmtpInbox(app[STORE], clock, host=settings.smtp_host, port=settings.smtp_port,
                          max_bytes=settings.smtp_max_bytes, domains=settings.smtp_domains,
                          on_new_mail=app[MAIL_WAKE].set, inspector=app[INSPECTOR],
                          trust=SmtpTrust(settings.smtp_clients, settings.smtp_user, settings.smtp_password), tls=tls)
        await inbox.start()
        app[INBOX] = inbox
        readiness.ok("mail_source")
        logger.info("SMTP inbox listening", extra={"host": settings.smtp_host, "port": inbox.port})
        yield
        await inbox.stop()
    return ctx


async def _open_graph(app: web.Application, clock: Clock, credential: Any, stack: contextlib.AsyncExitStack,
                      later: Later) -> None:
    """Open the Graph source (kept open by `stack` until shutdown). It retries Graph itself, on its schedules."""
    from mail.graph.wiring import GraphConfig, open_graph_source  # msgraph loads only when Graph is configured

    settings = app[SETTINGS]
    source = await stack.enter_async_context(open_graph_source(
        GraphConfig.from_settings(settings), app[STORE], clock, load_pool_file(settings.pool_file),
        app[MAIL_WAKE].set, _missing_aliases_notifier(app), credential, app[INSPECTOR], _unresolved_notifier(app)))
    app[FORWARDER].settled = source.settled
    app[SERVICES].sync_pool = source.sync_pool
    later.attach(source)
    app[READINESS].ok("mail_source")


async def _tell_admins(app: web.Application, card: Any, summary: str) -> bool:
    """A proactive card to the admin conversation, if there is one RootMail has seen; whether it was posted."""
    admin_id = app[SETTINGS].admin_conversation
    admin = admin_id and await app[STORE].get_conversation(admin_id)
    if not admin:
        return False
    try:
        await app[POSTER].post(admin, card, summary)
        return True
    except PostFailed as failure:
        logger.warning("could not tell admins", extra={"about": summary, "reason": failure.reason})
        return False


def _unresolved_notifier(app: web.Application):
    async def notify(unresolved: list) -> bool:
        problems = [(u.mailbox, u.reason) for u in unresolved]
        return await _tell_admins(app, mailboxes_unresolved_card(problems),
                                  f"RootMail cannot read {len(problems)} shared mailbox(es)")
    return notify


def _missing_aliases_notifier(app: web.Application):
    async def notify(mailbox: Mailbox, missing: tuple[str, ...]) -> None:
        owners = {}
        for alias in missing:
            record = await app[STORE].get_address(alias)
            if record:
                owners[alias] = " / ".join(p for p in (record.owner.team_name, record.owner.name) if p) or "assigned"
        await _tell_admins(app, aliases_missing_card(mailbox.address, missing, owners),
                           f"Aliases of {mailbox.address} disappeared from Exchange")
    return notify
