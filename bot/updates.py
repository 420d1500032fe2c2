"""RootMail keeps the cards it posted current: when an address changes (link, retire, transfer), every card showing it
is edited in place, for everyone, within Teams' limits (each edit waits its turn in the conversation's limiter).

Cards showing an address are remembered when posted (flag card:<address>|<conversation>|<activity>, the view as
value, at most KEEP per address); the address's mail cards are found through its recent mail. Teams also refreshes
each edited card for the people listed in its refresh (msteams-docs Up-To-Date-Views.md: "bot message edit triggers
an automatic refresh"), so they see their own buttons again.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable

from bot.views import Views
from cards.mail import MAIL
from core.addresses.rules import normalize_address
from core.intake.reveal import Messenger
from core.ports import Clock, PostFailed, Store

logger = logging.getLogger(__name__)

CARD = "card:"
KEEP = 20  # cards remembered per address; the oldest are forgotten (and then stay as they were)
MAIL_CARDS = 10  # newest mail cards of an address that are edited


def _prefix(address: str) -> str:
    return f"{CARD}{normalize_address(address)}|"


class CardUpdates:
    def __init__(self, store: Store, views: Views, messenger: Messenger, clock: Clock):
        """`messenger` completes each card's audience as it edits it (bot.reveal.TeamsMessenger.audience)."""
        self._store, self._views, self._messenger, self._clock = store, views, messenger, clock
        self._due: dict[str, asyncio.Task] = {}
        self._again: dict[str, Callable[[], Awaitable[None]]] = {}

    async def remember(self, address: str, conversation_id: str, activity_id: str, view: dict[str, Any]) -> None:
        """A card showing `address` was posted: keep it current from now on."""
        if not (address and conversation_id and activity_id):
            return
        await self._store.set_flag(f"{_prefix(address)}{conversation_id}|{activity_id}",
                                   json.dumps({"view": view, "at": self._clock().isoformat()}))
        kept = await self._store.flags_with_prefix(_prefix(address), KEEP * 3)
        if len(kept) > KEEP:
            for name, _ in sorted(kept, key=lambda row: _at(row[1]))[:len(kept) - KEEP]:
                await self._store.delete_flag(name)

    def changed(self, address: str) -> None:
        """The address changed: edit its cards soon."""
        key = normalize_address(address)
        self._soon(key, lambda: self._edit(key))

    def _soon(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` now, or once more after the round already running for `key` (which may have read the cards
        before this change); more changes meanwhile fold into that one round."""
        if key in self._due and not self._due[key].done():
            self._again[key] = work
            return

        async def rounds() -> None:
            await work()
            while key in self._again:
                await self._again.pop(key)()

        task = asyncio.ensure_future(rounds())
        self._due[key] = task
        task.add_done_callback(lambda done: self._due.pop(key, None) if self._due.get(key) is done else None)

    async def idle(self) -> None:
        """Until every edit round started so far is done (tests, shutdown)."""
        while self._due:
            await asyncio.gather(*list(self._due.values()), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._due.values()):
            task.cancel()
        await asyncio.gather(*list(self._due.values()), return_exceptions=True)

    async def _edit(self, address: str) -> None:
        await asyncio.sleep(0)  # let the change that called us finish its writes
        try:
            kept = await self._store.flags_with_prefix(_prefix(address), KEEP * 3)
            mails = await self._store.recent_mails(address, MAIL_CARDS)
        except Exception:  # the store is away: the next change edits them
            logger.exception("could not find the cards to keep current")
            return
        for name, raw in kept:
            conversation, _, activity = name[len(_prefix(address)):].rpartition("|")
            await self._edit_one(conversation, activity, _view(raw))
        for mail in mails:
            if mail.activity_id and mail.posted_to and not mail.digest:
                await self._edit_one(mail.posted_to, mail.activity_id, {"view": MAIL, "mail": mail.key})

    async def _edit_one(self, conversation_id: str, activity_id: str, view: dict[str, Any]) -> None:
        try:
            where = await self._store.get_conversation(conversation_id)
            card = await self._views.render(view, where) if where is not None else None
            if card is not None:
                await self._messenger.update(where, activity_id, card, "RootMail")
        except PostFailed as failure:
            logger.warning("could not update a card", extra={"reason": failure.reason})
        except Exception:  # the next change edits it again
            logger.exception("could not update a card")


def _view(raw: str) -> dict[str, Any]:
    try:
        view = json.loads(raw).get("view")
    except (ValueError, AttributeError):
        return {}
    return view if isinstance(view, dict) else {}


def _at(raw: str) -> str:
    try:
        return str(json.loads(raw).get("at") or "")
    except (ValueError, AttributeError):
        return ""
