"""What the API reads and writes: request bodies checked field by field, records as JSON resources."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from aiohttp import web

from api.problems import Problem
from core.errors import InvalidRequest
from core.jsonbody import BodyRefused, NotJson, decode_json
from core.model import RootAddress

BASE = "/api/v1"
ALLOCATE_FIELDS = {"account_name": str, "environment": str, "purpose": str, "owner_conversation_id": str,
                   "account_id": (str, type(None)), "tags": dict}
PATCH_FIELDS = {"account_id": str, "owner_conversation_id": str, "tags": dict}
_TYPE_NAMES = {str: "text", dict: "an object", (str, type(None)): "text or null"}
MAX_PAGE, DEFAULT_PAGE = 100, 50


def address_url(address: str) -> str:
    return f"{BASE}/addresses/{quote(address, safe='@+')}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def address_json(record: RootAddress) -> dict[str, Any]:
    owner, requester = record.owner, record.requester
    return {
        "address": record.address, "mailbox": record.mailbox, "state": record.state.value,
        "account_id": record.account_id, "account_name": record.account_name, "environment": record.environment,
        "purpose": record.purpose, "tags": dict(record.tags),
        "owner": {"conversation_id": owner.conversation_id, "name": owner.name, "team_id": owner.team_id,
                  "team_name": owner.team_name},
        "requester": {"id": requester.id, "name": requester.name, "object_id": requester.aad_object_id},
        "created_at": _iso(record.created_at), "updated_at": _iso(record.updated_at),
        "links": {"self": address_url(record.address)},
    }


async def json_object(request: web.Request, fields: dict[str, Any], *, patch: bool = False) -> dict[str, Any]:
    """The body as a JSON object holding only known fields of the right types; a Problem otherwise."""
    allowed = ("application/json", "application/merge-patch+json") if patch else ("application/json",)
    if request.content_type not in allowed:
        raise Problem("unsupported-media-type", f"Send the body as {' or '.join(allowed)}, "
                      f"not {request.content_type or 'nothing'}.")
    try:
        body = decode_json(await request.read(), request.charset)
    except NotJson as unreadable:
        raise InvalidRequest({"body": str(unreadable)}) from None
    except BodyRefused as refused:
        raise Problem("malformed-body", str(refused)) from None
    if not isinstance(body, dict):
        raise InvalidRequest({"body": "The body must be a JSON object."})
    problems = {name: "Unknown field." for name in body if name not in fields}
    problems |= {name: f"Must be {_TYPE_NAMES[kind]}." for name, kind in fields.items()
                 if name in body and not isinstance(body[name], kind)}
    if problems:
        raise InvalidRequest(problems)
    return body


def page_query(request: web.Request) -> tuple[int, str | None]:
    raw = request.query.get("limit", str(DEFAULT_PAGE))
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidRequest({"limit": f"A whole number from 1 to {MAX_PAGE}."})
    return int(raw), request.query.get("continuation") or None
