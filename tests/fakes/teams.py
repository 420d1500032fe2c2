"""Builders of msteams-shaped activities, as Teams (and the Agents Playground) send them to a bot."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tests.fakes.jwks import TENANT_ID
from tests.fakes.login import BOT_APP_ID

_ids = itertools.count(1)

BOT = {"id": f"28:{BOT_APP_ID}", "name": "RootMail"}  # Teams names a bot 28:<its app id>
TENANT = TENANT_ID  # the bot's own tenant, a GUID as Teams sends it


@dataclass(frozen=True)
class Where:
    conversation_id: str
    conversation_type: str  # personal | groupChat | channel
    team_id: str = ""
    team_name: str = ""
    channel_name: str = ""


ALICE = {"id": "29:alice", "name": "Alice Admin", "aadObjectId": "aad-alice"}
BOB = {"id": "29:bob", "name": "Bob Builder", "aadObjectId": "aad-bob"}
PLATFORM = Where("19:platform@thread.tacv2", "channel", "19:team-cloud@thread.tacv2", "Cloud Platform", "Platform")
PAYMENTS = Where("19:payments@thread.tacv2", "channel", "19:team-pay@thread.tacv2", "Payments", "Payments Ops")
PERSONAL = Where("a:personal-alice", "personal")


TEAMS = {w.team_id: (w.team_name, {w.conversation_id: w.channel_name}) for w in (PLATFORM, PAYMENTS)}


def _sent_now() -> str:
    """An activity's timestamp is when it was sent, in UTC, ISO 8601 (Activity.Timestamp, Bot Framework schema:
    https://learn.microsoft.com/en-in/dotnet/api/microsoft.bot.schema.activity.timestamp): the real now, never a
    fixed date that would age."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _base(where: Where, service_url: str, user: dict, **extra: Any) -> dict[str, Any]:
    conversation: dict[str, Any] = {"id": where.conversation_id, "conversationType": where.conversation_type,
                                    "tenantId": TENANT}
    channel_data: dict[str, Any] = {"tenant": {"id": TENANT}}
    if where.conversation_type == "channel":
        conversation["isGroup"] = True
        conversation["id"] = f"{where.conversation_id};messageid={next(_ids)}"
        # Like Teams: ids only; names come from the Teams API (GET /v3/teams/{id}[/conversations]).
        channel_data |= {"teamsTeamId": where.team_id, "teamsChannelId": where.conversation_id,
                         "team": {"id": where.team_id}, "channel": {"id": where.conversation_id}}
    return {"id": f"in-{next(_ids)}", "channelId": "msteams", "serviceUrl": service_url,
            "timestamp": _sent_now(), "from": user, "recipient": BOT,
            "conversation": conversation, "channelData": channel_data, "locale": "en-US", **extra}


def message(text: str, where: Where, service_url: str, user: dict = ALICE) -> dict[str, Any]:
    if where.conversation_type != "personal":
        text = f"<at>RootMail</at> {text}"
        entities = [{"type": "mention", "text": "<at>RootMail</at>", "mentioned": BOT}]
    else:
        entities = []
    return _base(where, service_url, user, type="message", text=text, textFormat="plain", entities=entities)


def execute(verb: str, data: dict[str, Any], where: Where, service_url: str, user: dict = ALICE,
            on: str = "activity-1", trigger: str = "manual") -> dict[str, Any]:
    """Action.Execute: an `adaptiveCard/action` invoke; inputs are merged into data, as Teams does. `on` is the
    activity id of the card the button is on (replyToId), `trigger` "automatic" for Teams' own refresh."""
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": trigger}
    return _base(where, service_url, user, type="invoke", name="adaptiveCard/action", value=value, replyToId=on)


def submit(value: dict[str, Any], where: Where, service_url: str, user: dict = ALICE) -> dict[str, Any]:
    """Action.Submit: a message activity carrying the data and inputs in `value`."""
    return _base(where, service_url, user, type="message", value=value, replyToId="activity-1")
