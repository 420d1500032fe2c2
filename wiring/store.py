"""The store, the pool loaded into it, the allocator and the bot's services on top of them."""
from __future__ import annotations

import contextlib
import logging
import secrets
import uuid
from pathlib import Path
from typing import AsyncIterator

from aiohttp import web

import cards
from bot.activity_bot import RootMailBot
from bot.services import Services
from core.addresses.allocation import Allocator, load_pool
from core.model import Mailbox
from core.addresses.pool import load_pool_file
from core.ports import Clock, PostFailed, Store
from settings import ROOT, Settings
from storage.sqlite import open_sqlite
from storage.watched import Watched
from wiring.keys import BOT, GATE, POSTER, SERVICES, SETTINGS, STORE

logger = logging.getLogger(__name__)


def store_ctx(injected: Store | None, clock: Clock):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        async with contextlib.AsyncExitStack() as stack:
            store = Watched(injected or await stack.enter_async_context(_open_store(settings)))
            await load_pool(store, pool_of(settings), settings.pool_low_watermark)
            app[STORE] = store  # watched: RootMail keeps the cards showing an address current (wiring/protection.py)
            allocator = Allocator(store, clock, lambda: secrets.token_hex(2), settings.pool_low_watermark,
                                  _low_pool_notifier(app))
            app[SERVICES] = Services(store, clock, allocator, lambda: uuid.uuid4().hex,
                                     settings.admin_conversation or None, settings.page_size)
            app[BOT] = RootMailBot(app[SERVICES], app[GATE])
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


def pool_of(settings: Settings) -> list:
    """The pool file; with a Graph source the aliases come from Exchange, so the file's are ignored."""
    pool = load_pool_file(settings.pool_file)
    return [(mailbox, []) for mailbox, _ in pool] if settings.mail_source.startswith("graph") else pool
