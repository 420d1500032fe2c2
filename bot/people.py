"""People by name: everyone RootMail meets in a turn or a roster is remembered, so audit shows names, not object ids.

Also who was active in each conversation lately: when a conversation is too large for Teams to refresh cards for
everyone, they are the ones whose cards refresh by themselves (bot.views.Audience).
"""
from __future__ import annotations

import json
import logging
from typing import Iterable

from core.model import Person
from core.ports import Store

logger = logging.getLogger(__name__)

PERSON = "person:"  # + Entra object id (or Teams id): {"name", "id"}
RECENT = "recent:"  # + conversation id: Teams ids of who acted there, most recent first
KEEP_RECENT = 60  # Teams refreshes a card automatically for at most 60 listed users
MAX_CACHED = 20_000


class People:
    def __init__(self, store: Store):
        self._store = store
        self._names: dict[str, str] = {}
        self._recent: dict[str, list[str]] = {}

    async def met(self, person: Person, conversation_id: str = "") -> None:
        """Remember the person's name, and that they acted in the conversation; writes only what changed."""
        key = person.aad_object_id or person.id
        if key and person.name and self._names.get(key) != person.name:
            await self._store.set_flag(PERSON + key, json.dumps({"name": person.name[:120], "id": person.id}))
            self._remember(key, person.name[:120])
        if conversation_id and person.id:
            recent = await self.recent(conversation_id)
            if not recent or recent[0] != person.id:
                recent = [person.id, *(i for i in recent if i != person.id)][:KEEP_RECENT]
                self._recent[conversation_id] = recent
                await self._store.set_flag(RECENT + conversation_id, json.dumps(recent))

    def learned(self, named: Iterable[tuple[str, str]]) -> None:
        """Names from a roster (object id, name): kept in memory only, the roster is read again within the hour."""
        for key, name in named:
            if key and name:
                self._remember(key, name[:120])

    async def name(self, key: str) -> str:
        """The person's name, or "" when RootMail never met them."""
        if not key:
            return ""
        if key not in self._names:
            raw = await self._store.get_flag(PERSON + key)
            try:
                self._remember(key, str(json.loads(raw)["name"]) if raw else "")
            except (ValueError, KeyError, TypeError):
                self._remember(key, "")
        return self._names[key]

    async def recent(self, conversation_id: str) -> list[str]:
        if conversation_id not in self._recent:
            raw = await self._store.get_flag(RECENT + conversation_id)
            try:
                loaded = json.loads(raw) if raw else []
            except ValueError:
                loaded = []
            self._recent[conversation_id] = [str(i) for i in loaded if isinstance(i, str)][:KEEP_RECENT]
        return list(self._recent[conversation_id])

    def _remember(self, key: str, name: str) -> None:
        if len(self._names) >= MAX_CACHED:
            self._names.pop(next(iter(self._names)))
        self._names[key] = name
