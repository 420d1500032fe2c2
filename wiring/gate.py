"""What /api/messages lets through to botbuilder's adapter: an activity of the shape Teams sends, and without
authentication nothing a web page in a browser could have sent.

botbuilder deserializes whatever arrives and RootMail reads fields from it; a field of the wrong type (no `from`,
`channelData.tenant` a string, an invoke's `value.action` a string) surfaced deep inside a turn as a traceback. So
the fields botbuilder and RootMail read are checked here, with the types the Bot Framework activity schema gives
them (botframework-sdk specs/botframework-activity/botframework-activity.md), and anything else is a 400 before the
adapter runs.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from settings.parse import is_loopback

ANY = object()  # in a path: every element of a list
# (path, type, required): the fields botbuilder and RootMail read. A path below a field that is absent, or of
# another type that is allowed there (an invoke's `value` may be any JSON), is not looked at.
FIELDS: list[tuple[tuple[Any, ...], type | tuple[type, ...], bool]] = [
    (("type",), str, True),
    (("id",), str, False),
    (("serviceUrl",), str, True),
    (("channelId",), str, False),
    (("from",), dict, True),
    (("from", "id"), str, True),
    (("from", "name"), str, False),
    (("from", "aadObjectId"), str, False),
    (("recipient",), dict, False),
    (("recipient", "id"), str, False),
    (("conversation",), dict, True),
    (("conversation", "id"), str, True),
    (("conversation", "conversationType"), str, False),
    (("conversation", "tenantId"), str, False),
    (("conversation", "name"), str, False),
    (("channelData",), dict, False),
    (("channelData", "tenant"), dict, False),
    (("channelData", "tenant", "id"), str, False),
    (("channelData", "team"), dict, False),
    (("channelData", "team", "id"), str, False),
    (("channelData", "team", "name"), str, False),
    (("channelData", "channel"), dict, False),
    (("channelData", "channel", "id"), str, False),
    (("channelData", "channel", "name"), str, False),
    (("text",), str, False),
    (("name",), str, False),
    (("replyToId",), str, False),
    (("locale",), str, False),
    (("entities",), list, False),
    (("entities", ANY), dict, False),
    (("attachments",), list, False),
    (("attachments", ANY), dict, False),
    (("membersAdded",), list, False),
    (("membersAdded", ANY), dict, False),
    (("membersAdded", ANY, "id"), str, False),
]
# An Action.Execute invoke (`adaptiveCard/action`) carries the pressed action as an object; other invokes use
# `value.action` otherwise (file consent sends the string "accept" or "decline"), so these apply to that one only.
CARD_ACTION = "adaptiveCard/action"
CARD_ACTION_FIELDS: list[tuple[tuple[Any, ...], type | tuple[type, ...], bool]] = [
    (("value", "action"), dict, False),
    (("value", "action", "verb"), str, False),
    (("value", "action", "data"), dict, False),
]


def shape_problem(activity: Any) -> str | None:
    """Why this is not an activity RootMail can hand to the adapter, or None."""
    if not isinstance(activity, dict):
        return "The body is not a Bot Framework activity (a JSON object)."
    fields = FIELDS + CARD_ACTION_FIELDS if activity.get("name") == CARD_ACTION else FIELDS
    for path, kind, required in fields:
        for value in _values(activity, path):
            if value is _MISSING or value is None:  # JSON null is how clients leave an optional field out
                if required:
                    return f"The activity has no '{_name(path)}'."
            elif not isinstance(value, kind) or kind is str and not value and required:
                return f"The activity's '{_name(path)}' is not {_KIND_NAMES.get(kind, 'valid')}."
    return None


_MISSING = object()
_KIND_NAMES = {str: "text", dict: "an object", list: "a list"}


def _name(path: tuple[Any, ...]) -> str:
    return ".".join("*" if step is ANY else str(step) for step in path)


def _values(activity: dict, path: tuple[Any, ...]) -> list[Any]:
    """The values at `path` (several below ANY); _MISSING when the last step is absent from its parent."""
    parents: list[Any] = [activity]
    for step in path[:-1]:
        if step is ANY:
            parents = [item for parent in parents if isinstance(parent, list) for item in parent]
        else:
            parents = [parent[step] for parent in parents if isinstance(parent, dict) and step in parent]
    last = path[-1]
    if last is ANY:
        return [item for parent in parents if isinstance(parent, list) for item in parent]
    return [parent.get(last, _MISSING) for parent in parents if isinstance(parent, dict)]


def browser_problem(request: web.Request) -> str | None:
    """Without Bot Framework authentication anyone who reaches the port can post activities, so only local programs
    may: a browser announces itself with Origin (and Sec-Fetch-Site) on every cross-site POST, and a page that
    re-binds its own DNS name to 127.0.0.1 still sends its own name as Host."""
    if "Origin" in request.headers or "Sec-Fetch-Site" in request.headers:
        return "Without authentication, RootMail takes no activities from web browsers (an Origin header was sent)."
    host = urlsplit("//" + request.headers.get("Host", "")).hostname or ""
    if not is_loopback(host):
        return "Without authentication, RootMail takes activities addressed to a loopback host only."
    return None
