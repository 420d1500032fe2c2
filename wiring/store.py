"""The store, the pool loaded into it, the allocator and the bot's services on top of them.

Azure Cosmos DB opens in the background and is retried with capped, jittered backoff: until it answers, the app
serves HTTP, `/readyz` says why it is not ready, and every command that needs the store says what is down and since
when (storage.pending). A SQLite file is part of this process: it opens before the app serves, and if it cannot
(a path that is not writable, a disk that is full) start-up stops with one line naming ROOTMAIL_STORE. A store given
to create_app (tests) is used as it is, at once.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sqlite3
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

from aiohttp import web

import cards
from bot.service_urls import ServiceUrls
from bot.activity_bot import RootMailBot
from bot.services import Services
from core.addresses.allocation import Allocator, load_pool
from core.addresses.limits import AllocationLimits, Limiter
from core.model import Mailbox
from core.addresses.pool import load_pool_file
from core.errors import StartupError
from core.tasks import cancel_all
from core.ports import Clock, PostFailed, Store
from core.readiness import FAILING, Readiness, backoff
from settings import ROOT, Settings
from storage.pending import PendingStore
from storage.sqlite import open_sqlite
from storage.watched import Watched
from wiring.health import current
from wiring.keys import BOT, GATE, POSTER, READINESS, SERVICES, SETTINGS, STORE

logger = logging.getLogger(__name__)


def store_ctx(injected: Store | None, clock: Clock):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, readiness = app[SETTINGS], app[READINESS]
        readiness.add("store", _label(settings))
        async with contextlib.AsyncExitStack() as stack:
            if injected is not None or settings.store_url != "cosmos":
                inner, opening = injected or await _open_local(settings, stack), None
                await load_pool(inner, pool_of(settings), settings.pool_low_watermark)
                readiness.ok("store")
            else:
                inner = PendingStore(lambda: _why(readiness))
                opening = asyncio.create_task(_open_until_it_answers(settings, inner, stack, readiness),
                                              name="store-open")
            # watched: RootMail keeps the cards showing an address current (wiring/protection.py)
            app[STORE] = store = Watched(inner)
            allocator = Allocator(store, clock, lambda: secrets.token_hex(2), settings.pool_low_watermark,
                                  _low_pool_notifier(app))
            app[SERVICES] = Services(store, clock, allocator, lambda: uuid.uuid4().hex,
                                     settings.admin_conversation or None, settings.page_size, readiness=readiness,
                                     limiter=Limiter(store, clock, AllocationLimits(
                                         settings.limit_person_hourly, settings.limit_person_open,
                                         settings.limit_conversation_hourly, settings.limit_conversation_open)))
            app[SERVICES].part_state = lambda name: current(app, name)
            app[SERVICES].exchange = settings.mail_source.startswith("graph")
            app[BOT] = RootMailBot(app[SERVICES], app[GATE], ServiceUrls.of(settings))
            yield
            if opening is not None:
                opening.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await opening
    return ctx


async def _open_local(settings: Settings, stack: contextlib.AsyncExitStack) -> Store:
    try:
        return await stack.enter_async_context(_open_store(settings))
    except (OSError, sqlite3.Error) as error:
        raise StartupError(f"ROOTMAIL_STORE={settings.store_url!r}: the SQLite file cannot be opened ({error})") \
            from None


async def _open_until_it_answers(settings: Settings, pending: PendingStore, stack: contextlib.AsyncExitStack,
                                 readiness: Readiness) -> None:
    """Open the store and load the pool into it; on an expected failure say why in one line and try again later.
    The opened store is closed with `stack`, at shutdown."""
    attempt = 0
    while True:
        attempt += 1
        async with contextlib.AsyncExitStack() as trying:
            try:
                store = await trying.enter_async_context(_open_store(settings))
                await load_pool(store, pool_of(settings), settings.pool_low_watermark)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure of a remote store is worth another try; the reason is logged
                delay = backoff(attempt, first=1.0, cap=60.0)
                readiness.failing("store", _reason(error))
                logger.warning("the store does not answer; retrying in %.0f s", delay,
                               extra={"store": _label(settings), "reason": _reason(error), "attempt": attempt})
            else:
                stack.push_async_exit(trying.pop_all())
                pending.attach(store)
                readiness.ok("store")
                if attempt > 1:
                    logger.info("the store answers again", extra={"store": _label(settings)})
                return
        await asyncio.sleep(delay)


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())[:200]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _label(settings: Settings) -> str:
    return "Azure Cosmos DB (ROOTMAIL_COSMOS_ENDPOINT)" if settings.store_url == "cosmos" else "SQLite (ROOTMAIL_STORE)"


def _why(readiness: Readiness) -> str:
    part = readiness.get("store")
    when = part.since.strftime("%H:%M UTC")
    if part.state == FAILING:
        return f"RootMail cannot reach its store, {part.label}, since {when}: {part.reason}"
    return f"RootMail is still opening its store, {part.label} (since {when})"


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


def when_store_answers(app: web.Application, start: Callable[[], Awaitable[Any]], name: str) -> asyncio.Task:
    """Run `start()` in the background once the store answers (at once when it already does)."""
    async def run() -> None:
        await app[READINESS].wait_ok("store")
        await start()
    return asyncio.create_task(run(), name=name)


async def stop(task: asyncio.Task | None) -> None:
    """Cancel a background task and wait until it has stopped; what it raised before is logged, not re-raised."""
    if task is None:
        return
    for error in await cancel_all([task]):
        logger.error("background task failed", exc_info=error, extra={"task": task.get_name()})
