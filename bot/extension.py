"""The message extension: search addresses from the compose box, and "Look up in RootMail" on a forwarded mail.

composeExtension/query (msteams-docs messaging-extensions/how-to/search-commands/respond-to-search.md): `value` has
`commandId`, `parameters` [{name, value}] and `queryOptions` {skip, count}; the answer is {"composeExtension":
{"type": "result", "attachmentLayout": "list", "attachments": [...]}}, each attachment an Adaptive Card (what is
inserted into the message) with a `preview` thumbnail card (what the result list shows), or {"type": "message",
"text"}. Teams waits five seconds for it. With `initialRun` the command first runs with no text: RootMail lists the
conversation's own addresses then.

composeExtension/fetchTask for the message action (action-commands/create-task-module.md): `value.messagePayload`
is the message the "..." menu was opened on; the answer is a dialog, {"task": {"type": "continue", "value":
{"title", "card"}}}, or a plain message, {"task": {"type": "message", "value": text}}.

Who may see what is the same as for `lookup`: details only where the address belongs (or in the admin
conversation); anywhere else a result only names the owner.
"""
from __future__ import annotations

import json
import re
from typing import Any

from botbuilder.schema import Attachment, InvokeResponse
from botbuilder.schema.teams import (MessagingExtensionActionResponse, MessagingExtensionAttachment,
                                     MessagingExtensionResponse, MessagingExtensionResult, TaskModuleContinueResponse,
                                     TaskModuleMessageResponse, TaskModuleTaskInfo)

import cards
from bot.services import Services
from bot.turn import Turn
from cards.address import elsewhere_card, owner_name
from core.addresses import registry
from core.model import RootAddress

QUERY, FETCH_TASK = "composeExtension/query", "composeExtension/fetchTask"
INVOKES = frozenset({QUERY, FETCH_TASK})
CARD = "application/vnd.microsoft.card.adaptive"
THUMBNAIL = "application/vnd.microsoft.card.thumbnail"
MAX_RESULTS = 10
RECENT_MAILS = 3
_MAIL_KEY = re.compile(r'"(?:id|mail)"\s*:\s*"(?:mail:)?([0-9a-f]{40})"')


async def answer(services: Services, turn: Turn, name: str, value: dict[str, Any]) -> InvokeResponse:
    """The invoke's answer as botbuilder's schema models (its serializer takes models, not dicts)."""
    if name == QUERY:
        found = await _search(services, turn, value)
        result = MessagingExtensionResult(type=found["type"], text=found.get("text"),
                                          attachment_layout=found.get("attachmentLayout"), attachments=[
                                              MessagingExtensionAttachment(
                                                  content_type=a["contentType"], content=a["content"],
                                                  preview=Attachment(content_type=a["preview"]["contentType"],
                                                                     content=a["preview"]["content"]))
                                              for a in found.get("attachments", [])] or None)
        return InvokeResponse(status=200, body=MessagingExtensionResponse(compose_extension=result))
    task = await _mail_task(services, turn, value)
    if task["type"] == "message":
        shown = TaskModuleMessageResponse(value=task["value"])
    else:
        info = task["value"]
        shown = TaskModuleContinueResponse(value=TaskModuleTaskInfo(
            title=info["title"], height=info["height"], width=info["width"],
            card=Attachment(content_type=CARD, content=info["card"]["content"])))
    return InvokeResponse(status=200, body=MessagingExtensionActionResponse(task=shown))


def _words(value: dict[str, Any]) -> str:
    for parameter in value.get("parameters") or []:
        if isinstance(parameter, dict) and parameter.get("name") != "initialRun":
            return str(parameter.get("value") or "").strip()[:200]
    return ""


def _window(value: dict[str, Any]) -> tuple[int, int]:
    options = value.get("queryOptions") if isinstance(value.get("queryOptions"), dict) else {}
    try:
        return max(int(options.get("skip") or 0), 0), min(max(int(options.get("count") or MAX_RESULTS), 1),
                                                          MAX_RESULTS)
    except (TypeError, ValueError):
        return 0, MAX_RESULTS


async def _search(services: Services, turn: Turn, value: dict[str, Any]) -> dict[str, Any]:
    if not services.access.tenant_allowed(turn.owner.tenant_id):
        return {"type": "message", "text": "RootMail is not available to your organisation."}
    words = _words(value)
    skip, count = _window(value)
    if words:
        found = await registry.lookup(services.store, words, skip + count)
    else:  # the initial run: this conversation's own addresses
        found = (await services.store.list_by_owner(turn.owner.conversation_id, skip + count)).items
    found = found[skip:skip + count]
    if not found:
        return {"type": "message", "text": f"No root address matches \u201c{words}\u201d." if words else
                "This conversation owns no root addresses yet. Search by account id, address or name."}
    return {"type": "result", "attachmentLayout": "list",
            "attachments": [await _result(services, turn, record) for record in found]}


async def _may_see(services: Services, turn: Turn, record: RootAddress) -> bool:
    return (services.is_admin_conversation(turn.owner.conversation_id)
            or await services.access.may_view(turn.person, turn.owner, record))


async def _result(services: Services, turn: Turn, record: RootAddress) -> dict[str, Any]:
    if await _may_see(services, turn, record):
        mails = await services.store.recent_mails(record.address, RECENT_MAILS)
        card = cards.lookup_card(record, mails, may_change=False)
        line = " \u00b7 ".join(p for p in (record.account_name, record.account_id or "not linked", record.state.value)
                               if p)
    else:
        card, line = elsewhere_card(record, turn.owner), f"Owned by {owner_name(record.owner)}"
    return {"contentType": CARD, "content": card,
            "preview": {"contentType": THUMBNAIL, "content": {"title": record.address[:100], "text": line[:200]}}}


async def _mail_task(services: Services, turn: Turn, value: dict[str, Any]) -> dict[str, Any]:
    """The message action: which address a forwarded mail card went to, with the address's details."""
    key = _mail_key(value.get("messagePayload"))
    mail = await services.store.get_mail(key) if key else None
    if mail is None:
        return {"type": "message", "value": "This message is not a mail RootMail forwarded (or RootMail no longer "
                                            "has it). Use it on a mail card RootMail posted."}
    record = await services.store.get_address(mail.address)
    if record is None:
        return {"type": "message", "value": f"RootMail does not know the address {mail.address}."}
    card = (cards.lookup_card(record, await services.store.recent_mails(record.address, RECENT_MAILS), False)
            if await _may_see(services, turn, record) else elsewhere_card(record, turn.owner))
    return {"type": "continue", "value": {"title": "RootMail", "height": "large", "width": "medium",
                                          "card": {"contentType": CARD, "content": card}}}


def _mail_key(payload: Any) -> str:
    """The mail a RootMail card carries: its first block's id `mail:<key>` (cards.digest.tagged), or its refresh."""
    if not isinstance(payload, dict):
        return ""
    for attachment in payload.get("attachments") or []:
        content = attachment.get("content") if isinstance(attachment, dict) else None
        raw = content if isinstance(content, str) else json.dumps(content or {})
        if found := _MAIL_KEY.search(raw[:200_000]):
            return found.group(1)
    return ""
