"""The fake Graph's subscriptions: created after the validation handshake, renewed, reauthorized, expired; and the
change and lifecycle notifications it posts to their URLs. A subscription created with Prefer: IdType="ImmutableId"
sends immutable message ids, one created without it the default ids, which change when a message moves
(microsoftgraph/microsoft-graph-docs-contrib concepts/outlook-immutable-id.md, "Immutable ID with change
notifications"). Its resource names the user by id or userPrincipalName, as every other request does.

Other sources (microsoftgraph/microsoft-graph-docs-contrib): api-reference/v1.0/resources/subscription.md (Outlook
messages without resource data: expirationDateTime at most 10,080 minutes ahead; clientState at most 128
characters), concepts/change-notifications-delivery-webhooks.md (the validation request: POST with ?validationToken,
echoed as text/plain within 10 seconds, else no subscription; notifications batched in one post, each with
subscriptionId, clientState, tenantId, resource and resourceData), concepts/change-notifications-lifecycle-events.md
(reauthorizationRequired, subscriptionRemoved and missed, posted to lifecycleNotificationUrl)."""
from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.graph.state import Call, GraphState, Mailbox, Message, error, iso

IMMUTABLE = 'idtype="immutableid"'

MAX_SUBSCRIPTION_MINUTES = 10080
_RESOURCE = re.compile(r"^/?users/([^/]+)/mailFolders\('([^']+)'\)/messages$", re.IGNORECASE)


@dataclass
class Subscription:
    id: str
    mailbox: Mailbox
    body: dict[str, Any]
    expires: datetime
    needs_reauthorization: bool = False
    immutable_ids: bool = False


class Subscriptions:
    """Mixed into FakeGraph, which provides state, tenant_id, subscriptions, notification_answers, _session."""

    state: GraphState
    tenant_id: str
    subscriptions: dict[str, Subscription]
    notification_answers: list[tuple[int, float]]
    _session: aiohttp.ClientSession

    async def notify(self, messages: Message | list[Message], mailbox: str, change_type: str = "created",
                     client_state: str | None = None) -> list[int]:
        """Post change notifications to every live subscription on the mailbox's Inbox, several messages in one post
        as Graph does under load; the answers' statuses."""
        box = self.mailbox(mailbox)
        statuses = []
        for sub in self._live(box):
            items = []
            for message in messages if isinstance(messages, list) else [messages]:
                message_id = message.graph_id(sub.immutable_ids)
                resource = f"Users/{box.id}/Messages/{message_id}"
                items.append({"subscriptionId": sub.id, "subscriptionExpirationDateTime": iso(sub.expires),
                              "changeType": change_type, "resource": resource, "tenantId": self.tenant_id,
                              "clientState": sub.body.get("clientState") if client_state is None else client_state,
                              "resourceData": {"@odata.type": "#Microsoft.Graph.Message", "@odata.id": resource,
                                               "@odata.etag": message.data["@odata.etag"], "id": message_id}})
            statuses.append(await self._post(sub.body["notificationUrl"], {"value": items}))
        return statuses

    async def lifecycle(self, subscription_id: str, event: str) -> int:
        sub = self.subscriptions[subscription_id]
        if event == "subscriptionRemoved":
            del self.subscriptions[subscription_id]
        if event == "reauthorizationRequired":
            sub.needs_reauthorization = True
        item = {"subscriptionId": sub.id, "subscriptionExpirationDateTime": iso(sub.expires),
                "tenantId": self.tenant_id, "clientState": sub.body.get("clientState"), "lifecycleEvent": event}
        return await self._post(sub.body["lifecycleNotificationUrl"], {"value": [item]})

    async def post_raw(self, url: str, payload: Any) -> int:
        return await self._post(url, payload)

    def _live(self, mailbox: Mailbox) -> list[Subscription]:
        return [s for s in self.subscriptions.values() if s.mailbox is mailbox and s.expires > self.state.now]

    async def _post(self, url: str, payload: Any) -> int:
        started = time.perf_counter()
        async with self._session.post(url, json=payload) as response:
            await response.read()
            self.notification_answers.append((response.status, time.perf_counter() - started))
            return response.status

    # --- subscriptions --------------------------------------------------------------------------------------
    async def _subscriptions(self, call: Call, rest: list[str]) -> web.Response:
        for expired in [k for k, s in self.subscriptions.items() if s.expires <= self.state.now]:
            del self.subscriptions[expired]  # Graph deletes a subscription once it expired
        if not rest and call.method == "POST":
            return await self._subscribe(call.body, IMMUTABLE in call.headers.get("prefer", "").lower())
        if not rest and call.method == "GET":
            return web.json_response({"value": [self._subscription_json(s) for s in self.subscriptions.values()]})
        sub = self.subscriptions.get(rest[0])
        if sub is None or sub.expires <= self.state.now:
            return error(404, "ResourceNotFound", "The object was not found.")
        if rest[1:] == ["reauthorize"] and call.method == "POST":
            sub.needs_reauthorization = False
            return web.Response(status=204)
        if call.method == "PATCH":
            expires = _parse_time(call.body.get("expirationDateTime", ""))
            if problem := self._expiry_problem(expires):
                return error(400, "ExtensionError", problem)
            sub.expires, sub.needs_reauthorization = expires, False
            return web.json_response(self._subscription_json(sub))
        if call.method == "DELETE":
            del self.subscriptions[sub.id]
            return web.Response(status=204)
        return web.json_response(self._subscription_json(sub))

    async def _subscribe(self, body: dict[str, Any], immutable_ids: bool) -> web.Response:
        match = _RESOURCE.match(body.get("resource", ""))
        mailbox = self.state.mailbox(match[1]) if match else None
        expires = _parse_time(body.get("expirationDateTime", ""))
        # a resource naming no user (by id or UPN) or another folder: the docs do not give Graph's exact answer
        problem = ("Unsupported resource" if mailbox is None or match[2].lower() != "inbox" else
                   "changeType must be created" if body.get("changeType") != "created" else
                   "clientState is longer than 128 characters" if len(body.get("clientState") or "") > 128 else
                   self._expiry_problem(expires))
        if problem:
            return error(400, "InvalidRequest", problem)
        for url in (body["notificationUrl"], body.get("lifecycleNotificationUrl")):
            if url and not await self._validated(url):
                return error(400, "InvalidRequest", f"Subscription validation request failed for {url}.")
        sub = Subscription(str(uuid.uuid4()), mailbox, dict(body), expires, immutable_ids=immutable_ids)
        self.subscriptions[sub.id] = sub
        return web.json_response(self._subscription_json(sub), status=201)

    async def _validated(self, url: str) -> bool:
        token = f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
        try:
            async with self._session.post(url, params={"validationToken": token},
                                          headers={"Content-Type": "text/plain; charset=utf-8"}) as response:
                return response.status == 200 and (await response.text()) == token
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    def _expiry_problem(self, expires: datetime | None) -> str | None:
        if expires is None or expires <= self.state.now:
            return "expirationDateTime must be in the future"
        if expires > self.state.now + timedelta(minutes=MAX_SUBSCRIPTION_MINUTES):
            return f"Subscription expiration can only be {MAX_SUBSCRIPTION_MINUTES} minutes in the future."
        return None

    def _subscription_json(self, sub: Subscription) -> dict[str, Any]:
        return {**{k: v for k, v in sub.body.items() if k != "clientState"}, "id": sub.id,
                "clientState": sub.body.get("clientState"), "expirationDateTime": iso(sub.expires),
                "applicationId": "22222222-3333-4444-5555-666666666666", "creatorId": str(uuid.uuid4()),
                "latestSupportedTlsVersion": sub.body.get("latestSupportedTlsVersion", "v1_2")}


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
