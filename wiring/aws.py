"""AWS: the scheduled AWS Organizations sync (drift to admins) and `adopt` (moving accounts' root e-mail in)."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import AsyncIterator

from aiohttp import web

from bot.service_urls import ServiceUrls
from bot.adopt import CardBoard
from bot.reveal import TeamsMessenger
from cards.drift import drift_card
from core.adoption.states import AccountApi, Policy
from core.adoption.adopter import Adopter
from core.errors import RootMailError
from core.intake.inspection import secret_context
from core.ports import Clock, PostFailed
from core.readiness import OK
from core.adoption.reconcile import AccountSource, Drift, OrgSync, SyncFailed
from settings import Settings
from wiring.keys import (ADAPTER, ADOPTER, FORWARDER, INSPECTOR, ORG_SYNC, POSTER, READINESS, SERVICES, SETTINGS,
                         STORE)
from wiring.store import stop, when_store_answers

logger = logging.getLogger(__name__)


def org_sync_ctx(injected: AccountSource | None, clock: Clock, interval: float | None):
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
        await stop(task)
    return ctx


def _org_source(settings: Settings) -> AccountSource | None:
    if not settings.org_role_arn:
        return None
    from aws.organizations import OrganizationsAccounts  # boto3 is imported only when the sync is configured

    return OrganizationsAccounts(settings.org_role_arn, settings.org_region, settings.org_external_id,
                                 web_identity=web_identity(settings))


def web_identity(settings: Settings):
    """Keyless AWS: a source of Entra ID tokens for the managed identity, or None for boto3's default chain."""
    if not settings.aws_web_identity_audience:
        return None
    from aws.entra import ManagedIdentityToken

    return ManagedIdentityToken(settings.aws_web_identity_audience, settings.managed_identity_client_id)


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


def adopt_ctx(injected: AccountApi | None, clock: Clock, policy: Policy | None):
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
                          CardBoard(app[POSTER], TeamsMessenger(app[ADAPTER], settings.app_id,
                                                                service_urls=ServiceUrls.of(settings))),
                          settings.instance_id,
                          policy or Policy(code_wait=timedelta(minutes=settings.adopt_code_minutes)),
                          settings.adopt_concurrency)
        app[ADOPTER] = adopter
        app[SERVICES].adoption = adopter
        app[FORWARDER].divert = adopter.divert
        if app[READINESS].get("store").state == OK:  # a local store: resume now, before the first command arrives
            await adopter.resume()
            resuming = None
        else:  # a remote store still opening: resume once it answers
            resuming = when_store_answers(app, adopter.resume, "adopt-resume")
        yield
        await stop(resuming)
        await adopter.close()
        if injected is None:
            api.close()
    return ctx


def _adopt_api(settings: Settings) -> AccountApi | None:
    if not settings.adopt_role_arn:
        return None
    from aws.account import AccountClient  # boto3 is imported only when adoption is configured

    return AccountClient(settings.adopt_role_arn, settings.org_region, settings.org_external_id,
                         web_identity=web_identity(settings))
