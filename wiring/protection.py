"""Sender checks and sealing at ingest, who may do what, Reveal, and wiping secrets once their window closed."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import AsyncIterator

from aiohttp import web

import cards
from bot.service_urls import ServiceUrls
from bot.audience import Audience
from bot.members import Rosters, TeamsMembership
from bot.people import People
from bot.poster import BotPoster
from bot.reveal import TeamsMessenger
from bot.updates import CardUpdates
from bot.views import Views
from cards.protection import private_secret_card, private_wiped_card
from core.delivery.gate import GatedPoster
from core.addresses.access import Access, AccessPolicy, GroupDirectory, StaticGroups
from core.errors import StoreUnavailable
from core.intake.inspection import Inspector
from core.ports import Clock, Store
from core.intake.reveal import RevealCards, Revealer, wipe_expired
from core.intake.sealing_keys import note_key_id
from core.intake.sender_trust import TrustPolicy
from crypto.box import AesGcmBox, load_or_create_key, parse_keys
from settings import ROOT, Settings
from storage.watched import Watched
from wiring.keys import ADAPTER, GATE, INBOX, INSPECTOR, POSTER, REVEALER, SERVICES, SETTINGS, STORE
from wiring.store import stop, when_store_answers

logger = logging.getLogger(__name__)

WIPE_SECONDS = 30.0  # how often sealed secrets past their reveal window are looked for and wiped
NOTE_KEY_SECONDS = 6 * 3600.0  # how often an instance notes its sealing key id (core.intake.sealing_keys)


def protection_ctx(clock: Clock, identities_verified: bool):
    """Sender checks and sealing at ingest, who may do what (admins only when identities are verified), Reveal, and
    wiping secrets once their window closed."""
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, store = app[SETTINGS], app[STORE]
        box = AesGcmBox(_secret_keys(settings))
        app[INSPECTOR] = Inspector(TrustPolicy(settings.authserv_ids, settings.aws_sender_domains), box,
                                   timedelta(minutes=settings.reveal_minutes))
        access = Access(AccessPolicy(
            allowed_tenants=frozenset(settings.allowed_tenants or ([settings.app_tenant_id.lower()]
                                                                   if settings.app_tenant_id else [])),
            admins=frozenset(settings.admins), admin_group=settings.admin_group,
            requester_group=settings.requester_group, admin_conversation=settings.admin_conversation,
            identities_verified=identities_verified),
            _groups(app, settings))
        gate, urls = app[GATE], ServiceUrls.of(settings)
        messenger = TeamsMessenger(app[ADAPTER], settings.app_id, gate=gate, service_urls=urls)
        revealer = Revealer(store, clock, box, access,
                            TeamsMembership(app[ADAPTER], settings.app_id, gate=gate, service_urls=urls),
                            messenger, RevealCards(cards.mail_card, private_secret_card, private_wiped_card))
        app[REVEALER] = revealer
        services = app[SERVICES]
        services.access, services.revealer, services.poster = access, revealer, GatedPoster(app[POSTER], gate)
        updates = _keep_cards_current(app, services, messenger, clock)
        tasks = [when_store_answers(app, lambda: _wipe_every(store, clock, revealer), "wipe-secrets"),
                 when_store_answers(app, lambda: _note_key_every(store, clock, box, settings.instance_id),
                                    "note-sealing-key")]
        yield
        for task in tasks:
            await stop(task)
        await updates.close()
    return ctx


def _keep_cards_current(app: web.Application, services, messenger: TeamsMessenger, clock: Clock) -> CardUpdates:
    """Names and rosters for cards, per-person views, and edits of posted cards when their address changes."""
    settings, store = app[SETTINGS], app[STORE]
    rosters = Rosters(app[ADAPTER], settings.app_id, app[GATE], service_urls=ServiceUrls.of(settings))
    people = People(store)
    audience = Audience(rosters, people, settings.urgent_mentions)
    views = Views(services, rosters)
    updates = CardUpdates(store, views, messenger, clock)
    services.views, services.updates, services.people, services.audience = views, updates, people, audience
    messenger.audience = audience
    if isinstance(app[POSTER], BotPoster):  # an injected poster (tests) gets cards as built
        app[POSTER].audience, app[POSTER].gate = audience, app[GATE]
    if isinstance(store, Watched):
        store.listener = updates.changed
    return updates


def _groups(app: web.Application, settings: Settings) -> GroupDirectory:
    """The file wins; else Microsoft Graph, through the Graph source's client once it is open."""
    if settings.groups_file:
        return StaticGroups.from_file(settings.groups_file)
    if settings.mail_source.startswith("graph") and (settings.admin_group or settings.requester_group):
        from mail.graph.groups import GraphGroups  # msgraph loads only when Graph is configured

        return GraphGroups(lambda: _graph_client(app), (settings.admin_group, settings.requester_group))
    return StaticGroups()


def _graph_client(app: web.Application) -> object | None:
    """The Graph source's client once the source is open (wiring.later); None before: group checks fail closed."""
    source = getattr(app.get(INBOX), "part", None)
    return source.graph.client if source is not None else None


def _secret_keys(settings: Settings) -> list[bytes]:
    if settings.secret_key:
        return parse_keys(settings.secret_key)
    if settings.store_url == "cosmos":
        logger.warning("ROOTMAIL_SECRET_KEY is not set: this instance seals codes with its own key, which other "
                       "instances cannot open; set the same key on every instance")
    return load_or_create_key(key_file(settings))


def key_file(settings: Settings) -> Path:
    """Where the embedded default keeps its generated key: beside the SQLite file (var/ with Cosmos DB)."""
    local = settings.store_url != "cosmos"
    folder = Path(settings.store_url.removeprefix("sqlite:///")).parent if local else Path("var")
    return (folder if folder.is_absolute() else ROOT / folder) / "secret.key"


async def _note_key_every(store: Store, clock: Clock, box: AesGcmBox, instance_id: str) -> None:
    """Note which key this instance seals with (its id, never the key), and say so when another recent instance
    seals with a different one: a code it sealed would not open here."""
    while True:
        try:
            others = await note_key_id(store, clock, box.sealing_key_id, instance_id)
            if others:
                logger.warning("instances seal with different ROOTMAIL_SECRET_KEY values: codes sealed by one do not "
                               "open on another; set the same keys on every instance",
                               extra={"this_key_id": box.sealing_key_id, "other_key_ids": others})
        except StoreUnavailable as away:
            logger.warning("noting the sealing key id waits for the store", extra={"reason": str(away)[:200]})
        await asyncio.sleep(NOTE_KEY_SECONDS)


async def _wipe_every(store: Store, clock: Clock, revealer: Revealer) -> None:
    while True:
        try:
            while await wipe_expired(store, clock, on_wiped=revealer.expired) > 0:
                pass
        except StoreUnavailable as away:  # the store may be briefly away; the next round retries
            logger.warning("wiping expired secrets waits for the store", extra={"reason": str(away)[:200]})
        except Exception:
            logger.exception("wiping expired secrets failed; will retry")
        await asyncio.sleep(WIPE_SECONDS)
