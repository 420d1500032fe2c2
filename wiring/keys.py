"""The app's shared parts, each under a typed aiohttp AppKey (set by create_app and the wiring contexts)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import aiohttp
from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter

from bot.activity_bot import RootMailBot
from bot.services import Services
from core.adoption.adopter import Adopter
from core.delivery.forwarding import Forwarder
from core.delivery.gate import Gate
from core.intake.inspection import Inspector
from core.ports import Poster, Store
from core.adoption.reconcile import OrgSync
from core.intake.reveal import Revealer
from core.readiness import Readiness
from obs.telemetry import Telemetry
from settings import Settings

SETTINGS = web.AppKey("settings", Settings)
HTTP = web.AppKey("http", aiohttp.ClientSession)  # the one outbound HTTP session (Bot Connector, JWKS)
STORE = web.AppKey("store", Store)
SERVICES = web.AppKey("services", Services)
ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", RootMailBot)
POSTER = web.AppKey("poster", Poster)
FORWARDER = web.AppKey("forwarder", Forwarder)
MAIL_WAKE = web.AppKey("mail_wake", asyncio.Event)
INBOX = web.AppKey("inbox", object)  # the SMTP inbox, or the Graph source in a wiring.later.Later
INSPECTOR = web.AppKey("inspector", Inspector)
REVEALER = web.AppKey("revealer", Revealer)
TELEMETRY = web.AppKey("telemetry", Telemetry)
ORG_SYNC = web.AppKey("org_sync", OrgSync)
READINESS = web.AppKey("readiness", Readiness)  # each dependency: starting, ok or failing, since when
ADOPTER = web.AppKey("adopter", Adopter)
GATE = web.AppKey("gate", Gate)  # Teams' limits for every Bot Connector call (core.delivery.gate)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
