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
_TYPED = re.compile(r"^\s*(?:<[a-z]+[^>]*>\s*)*/rootmail(?![\w@.-])", re.IGNORECASE)  # rich text may wrap it in <p>
MAX_COMMAND_CHARS = 2000


@dataclass(frozen=True)
class Turn:
    """Who asked, where, and what: all a command handler sees of Teams."""

    owner: Owner
    person: Person
    conversation_type: str
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    thread: str = ""  # the conversation as Teams named it in this turn: in a channel, the thread of the post
    reply_to: str = ""  # the activity a pressed button is on (the card it may update in place)


@dataclass(frozen=True)
class Answer:
    """What a handler answers when the plain card (replacing the pressed one, or the reply to a typed command) is not
    what it means: a card that goes beside the pressed card (a reply in its thread), or a short message shown to the
    presser alone while the card stays as it is (Universal Actions' message response)."""

    card: dict[str, Any] | None = None
    message: str = ""
    beside: bool = False
    track: dict[str, Any] | None = None  # remember the posted card (a view RootMail keeps current), see bot.updates
    refusal: bool = False  # a no: to a pressed button it is told to the presser alone, the card left as it was


def addressed_to_rootmail(activity: Activity) -> bool:
    """With resource-specific consent (ChannelMessage.Read.Group, ChatMessage.Read.Chat) Teams delivers every message
    of a channel or group chat to RootMail, not only those that @mention it (msteams-docs
    bots/how-to/conversations/channel-messages-with-rsc.md). RootMail acts only on messages that start with /rootmail
    or @mention it; everything else is none of its business, and is dropped without being read further or logged."""
    if activity.type != "message" or (activity.conversation and activity.conversation.conversation_type in
                                      (None, "", "personal")):
        return True
    if isinstance(activity.value, dict) and activity.value.get("rootmail"):  # a card's Action.Submit
        return True
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        mentioned = (getattr(entity, "additional_properties", None) or {}).get("mentioned") or {}
        if getattr(entity, "type", "") == "mention" and bot_id and mentioned.get("id") == bot_id:
            return True
    return bool(_TYPED.match(activity.text or ""))


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
        name = conversation.name or ("personal chat" if conversation.conversation_type == "personal" else "group chat")
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
                text=text, data=data or {}, thread=activity.conversation.id or "", reply_to=activity.reply_to_id or "")
