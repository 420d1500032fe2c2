"""Centralized root access: the AWS client on RootMail's root-access role, the audit and its schedule, the root task
desk and the loop that deletes credentials again after a recovery window, the Reveal gate for recoveries, the API."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import AsyncIterator

from aiohttp import web

from api.root_access import ROOT_API, RootApi
from bot.service_urls import ServiceUrls
from bot.reveal import TeamsMessenger
from bot.root_notices import RootNotices, RootServices
from core.errors import RootMailError
from core.ports import Clock, PostFailed
from core.root_access.api import RootAccessApi
from core.root_access.posture import AuditPolicy, Auditor
from core.root_access.recovery import RecoveryGate
from core.root_access.tasks import TaskDesk, TaskRules
from settings import Settings
from wiring.aws import web_identity
from wiring.keys import ADAPTER, POSTER, REVEALER, SERVICES, SETTINGS, STORE
from wiring.store import stop, when_store_answers

logger = logging.getLogger(__name__)

FOLLOW_UP_SECONDS = 30.0


@dataclass(frozen=True)
class RootTuning:
    """Test knobs: the audit schedule in seconds, the audit's and tasks' pacing (the settings still decide the session
    length and the two-person rule), how often follow-ups are looked for."""

    audit_seconds: float | None = None
    audit: AuditPolicy | None = None
    tasks: TaskRules | None = None
    follow_up_seconds: float = FOLLOW_UP_SECONDS


def root_access_ctx(injected: RootAccessApi | None, clock: Clock, tuning: RootTuning | None):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, tuning_ = app[SETTINGS], tuning or RootTuning()
        api = injected or _root_api(settings)
        if api is None or not settings.root_role_arn:
            yield
            return
        store = app[STORE]
        auditor = Auditor(store, clock, api, tuning_.audit or AuditPolicy(concurrency=settings.root_concurrency))
        rules = replace(tuning_.tasks or TaskRules(), session_seconds=settings.root_session_seconds,
                        two_person=settings.root_two_person)
        desk = TaskDesk(store, clock, api, rules, instance_id=settings.instance_id)
        messenger = TeamsMessenger(app[ADAPTER], settings.app_id, service_urls=ServiceUrls.of(settings))
        notices = RootNotices(store, app[POSTER], messenger, settings.admin_conversation)
        desk.notify = notices
        root = app[SERVICES].root = RootServices(desk, auditor, settings.org_region, settings.root_recovery_minutes)
        app[ROOT_API] = RootApi(desk, auditor, settings.org_region, settings.root_recovery_minutes)
        app[REVEALER].gates += (RecoveryGate(desk.book),)
        seconds = tuning_.audit_seconds if tuning_.audit_seconds is not None else settings.root_audit_minutes * 60
        tasks = [when_store_answers(app, desk.resume, "root-task-resume"),
                 when_store_answers(app, lambda: _follow_ups_every(desk, tuning_.follow_up_seconds), "root-follow-up")]
        if seconds:
            tasks.append(when_store_answers(app, lambda: _audit_every(auditor, notices, seconds, clock), "root-audit"))
        yield
        for task in tasks:
            await stop(task)
        await root.close()
        await desk.close()
        if injected is None:
            api.close()
    return ctx


def _root_api(settings: Settings) -> RootAccessApi | None:
    if not settings.root_role_arn:
        return None
    from aws.root.client import RootAccessClient  # boto3 is imported only when root access is configured

    return RootAccessClient(settings.root_role_arn, settings.org_region, settings.org_external_id,
                            web_identity=web_identity(settings), threads=settings.root_concurrency + 2)


async def _audit_every(auditor: Auditor, notices: RootNotices, seconds: float, clock: Clock) -> None:
    """One audit per time slot (one instance per slot); the admin conversation hears only of a changed posture."""
    while True:
        await asyncio.sleep(seconds - clock().timestamp() % seconds)
        try:
            await auditor.scheduled(int(clock().timestamp() // seconds), notices.posture_changed)
        except (RootMailError, PostFailed) as failure:
            logger.warning("scheduled root posture audit failed", extra={"reason": str(failure)[:300]})
        except Exception:
            logger.exception("scheduled root posture audit failed")


async def _follow_ups_every(desk: TaskDesk, seconds: float) -> None:
    while True:
        try:
            await desk.runner.follow_ups()
        except Exception:  # the next round tries again; a recovery's clean-up is never dropped
            logger.exception("deleting root credentials after a recovery window failed; will retry")
        await asyncio.sleep(seconds)
