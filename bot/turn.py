"""Translating a Bot Framework activity into RootMail's neutral view of a turn."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from core.model import Owner, Person

_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_PREFIX = re.compile(r"^/?rootmail\b[\s:]*", re.IGNORECASE)
MAX_COMMAND_CHARS = 2000


@dataclass(frozen=True)
class Turn:
    """Who asked, where, and what: all a command handler sees of Teams."""

    owner: Owner
    person: Person
    conversation_type: str
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def owner_of(activity: Activity) -> Owner:
    """The owning conversation: for a channel post or thread, the channel itself."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    conversation = activity.conversation
    conversation_id = conversation.id.split(";messageid=")[0]
    team = channel_data.get("team") or {}
    channel = channel_data.get("channel") or {}
    tenant = (channel_data.get("tenant") or {}).get("id") or conversation.tenant_id or ""
    reference = TurnContext.get_conversation_reference(activity)
    reference.conversation.id = conversation_id
    reference.activity_id = None
    if conversation.conversation_type == "channel":
        name = channel.get("name") or ("General" if channel.get("id") == team.get("id") else "channel")
    else:
        name = conversation.name or ("personal chat" if conversation.conversation_type == "personal" else "chat")
    return Owner(conversation_id=conversation_id, name=name, team_id=team.get("id") or "",
                 team_name=team.get("name") or "", tenant_id=tenant, reference=reference.serialize())


def person_of(activity: Activity) -> Person:
    sender = activity.from_property
    return Person(id=sender.id or "", name=sender.name or "", aad_object_id=sender.aad_object_id or "")


def command_text(activity: Activity) -> str:
    """The user's words with @mentions and the optional `/rootmail` prefix removed."""
    text = _MENTION.sub(" ", activity.text or "")
    text = " ".join(text.replace("\u00a0", " ").split())[:MAX_COMMAND_CHARS]
    return _PREFIX.sub("", text).strip()


def turn_of(activity: Activity, owner: Owner, text: str = "", data: dict | None = None) -> Turn:
    return Turn(owner=owner, person=person_of(activity),
                conversation_type=activity.conversation.conversation_type or "personal",
                text=text, data=data or {})
