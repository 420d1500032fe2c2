"""Who a card is for, filled in as it leaves for Teams: the people it refreshes for, and whom an urgent card calls.

Cards are built without knowing the conversation's members; the Teams edge adds them here (rosters are Teams'
business): `refresh.userIds` for cards that stay current, and the @mentions that make critical mail hard to miss.
"""
from __future__ import annotations

from typing import Any

import re
from dataclasses import dataclass

from bot.members import Rosters
from bot.people import People
from core.model import Owner

Card = dict[str, Any]
MAX_MENTIONS = 10  # owners named in one call; a big team's owners are many, the message stays readable
_UNSAFE = re.compile(r"[^\w .'\-]", re.UNICODE)
AUTO_REFRESH = 60  # Teams refreshes a card automatically for at most 60 listed users (Work-with-Universal-Actions...)
OWNERS, NONE = "owners", "none"
WHY = "Critical AWS root mail: someone who owns this account should act on it now."


@dataclass(frozen=True)
class Mention:
    id: str  # a Teams user id (29:...) or a tag id
    name: str
    tag: bool = False


def call_message(mentions: list[Mention], why: str) -> dict[str, Any] | None:
    """A text message that @mentions each of `mentions` (Teams notifies them), posted in the urgent card's thread.

    Mentions go in the message text as `<at>name</at>` with a mention entity whose `text` is exactly that and whose
    `mentioned` is {id, name} (msteams-docs bots/how-to/conversations/channel-and-group-conversations.md, "Add
    mentions to your messages"); a tag is mentioned with `mentioned.type` "tag" and the tag's id (the same page,
    "Tag mention"). Not inside the card: a card mention needs a top-level `msteams` property that Adaptive Cards
    1.5's schema does not allow. Names are cut down to characters that cannot be markup."""
    shown = mentions[:MAX_MENTIONS]
    if not shown:
        return None
    tags = [f"<at>{_safe(m.name)}</at>" for m in shown]
    entities = [{"type": "mention", "text": tag,
                 "mentioned": {"id": m.id, "name": _safe(m.name), **({"type": "tag"} if m.tag else {})}}
                for tag, m in zip(tags, shown)]
    return {"text": f"{' '.join(tags)} {why}", "textFormat": "xml", "entities": entities}


def _safe(name: str) -> str:
    return " ".join(_UNSAFE.sub("", name).split())[:60] or "someone"


class Audience:
    def __init__(self, rosters: Rosters, people: People, urgent_mentions: tuple[str, ...] = (OWNERS,)):
        self.rosters, self.people = rosters, people
        self._tags = dict(_tag(entry) for entry in urgent_mentions if "=" in entry)
        self._owners = OWNERS in urgent_mentions

    async def user_ids(self, owner: Owner) -> list[str]:
        """Everyone in the conversation while it has at most 60 members; beyond that the 60 who acted there most
        recently. Everyone else sees the card as last edited and gets "Refresh card" in its menu: the documented
        fallback (Work-with-Universal-Actions-for-Adaptive-Cards.md, "User IDs in refresh")."""
        roster = await self.rosters.members(owner)
        if roster is not None:
            self.people.learned((m.aad_object_id, m.name) for m in roster)
            if len(roster) <= AUTO_REFRESH:
                return [m.id for m in roster]
        return (await self.people.recent(owner.conversation_id))[:AUTO_REFRESH]

    async def mentions(self, owner: Owner) -> list[Mention]:
        """Whom a critical mail calls in its channel: the team's configured tag, else the team's owners."""
        if not owner.team_id:
            return []
        if owner.team_id in self._tags:
            tag_id, name = self._tags[owner.team_id]
            return [Mention(tag_id, name, tag=True)]
        if not self._owners:
            return []
        roster = await self.rosters.members(owner) or ()
        return [Mention(m.id, m.name or "owner") for m in roster if m.role == "owner"]

    async def dress(self, owner: Owner, card: Card) -> Card:
        """The card with its refresh listing who it refreshes for automatically (cards leave the list empty)."""
        refresh = card.get("refresh") if isinstance(card, dict) else None
        if isinstance(refresh, dict):
            card = {**card, "refresh": {**refresh, "userIds": await self.user_ids(owner)}}
        return card

    async def call(self, owner: Owner) -> dict[str, Any] | None:
        """The message that calls people to a critical mail card in its thread, or None (nobody to call)."""
        return call_message(await self.mentions(owner), WHY)


def _tag(entry: str) -> tuple[str, tuple[str, str]]:
    """`<team id>=<tag id>:<tag name>` (settings.parse.mention_targets checked the shape)."""
    team, _, rest = entry.partition("=")
    tag_id, _, name = rest.partition(":")
    return team.strip(), (tag_id.strip(), name.strip())
