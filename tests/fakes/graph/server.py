"""A fake Microsoft Graph v1.0 on a random loopback port: users, mail folders, messages, delta, move, JSON batching
and subscriptions in the real JSON shapes; it records requests, checks the bearer token, enforces Outlook's 4
concurrent requests per mailbox, performs the subscription validation handshake, posts change and lifecycle
notifications (notify.py), and injects 429 (with Retry-After), 5xx and hangs. It refuses what Graph refuses, each rule
with its source here or in directory.py (users), mailapi.py (Outlook) and notify.py (subscriptions).

JSON batching (microsoftgraph/microsoft-graph-docs-contrib concepts/json-batching.md): at most 20 requests with
distinct ids ("Not case-sensitive. Must be unique in the batch, otherwise, the batch request fails with a 400"); a
request with a body must carry a Content-Type header (the docs say "must" without naming the answer: the fake refuses
the batch with 400); a failed dependency fails its dependents with 424; each request runs "as if sent alone", with
only its own headers. "Batch should be either fully sequential or fully parallel": the service accepts three shapes
only, which microsoftgraph/msgraph-sdk-javascript src/content/BatchRequestContent.ts spells out (validateDependencies,
after the Graph known issues): parallel (no request names a dependency), serial (each request depends on the one
before it) and same (every dependent names one and the same request). Anything else is 400 BadRequest with that
sentence, as Graph answers it (Microsoft Q&A "Regarding Batching response order", 2024-02-14).

Throttling (concepts/throttling-limits.md, Outlook service limits: 4 concurrent requests per app and mailbox; and
concepts/throttling.md: 429 with Retry-After, requests inside a batch "evaluated individually", json-batching.md):
a fifth concurrent request to one mailbox is 429 ApplicationThrottled with Retry-After. A request without the bearer
token the test's credential issued is 401 InvalidAuthenticationToken (concepts/errors.md).
"""
from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import aiohttp
from aiohttp import web
from azure.core.credentials import AccessToken

from tests.fakes.graph import directory
from tests.fakes.graph.batching import NOT_SEQUENTIAL, batch_problem
from tests.fakes.graph.mailapi import FILTERED_DELTA_CAP, MailApi
from tests.fakes.graph.notify import Subscription, Subscriptions
from tests.fakes.graph.state import Call, GraphState, Mailbox, Message, error

MAX_CONCURRENT_PER_MAILBOX = 4
TENANT_ID = "4f1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"  # the fake directory's tenant id (a GUID, as Entra's are)

__all__ = ["FakeGraph", "Fault", "Mailbox", "Message", "Recorded", "StaticToken", "TENANT_ID", "batch_problem",
           "NOT_SEQUENTIAL"]


class StaticToken:
    """An azure.core AsyncTokenCredential that always returns the same token: the SDK talks to the fake as it
    would to Graph, and the fake checks `Authorization: Bearer <token>`."""

    def __init__(self, token: str = "fake-graph-token"):
        self.token, self.scopes = token, []

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> "StaticToken":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        pass


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0
    in_batch: bool = False


@dataclass
class Fault:
    status: int  # 0: hang for `hang_seconds`, then answer 504 (the client should have given up by then)
    path: str = ""  # only requests whose path this regular expression matches (re.search)
    retry_after: str | None = None
    method: str = ""  # only requests with this method; empty: any


@dataclass
class FakeGraph(Subscriptions, MailApi):
    token: str = "fake-graph-token"
    tenant_id: str = TENANT_ID
    state: GraphState = field(default_factory=GraphState)
    latency: float = 0.0  # seconds each request takes, so concurrency shows
    hang_seconds: float = 3.0
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    notification_answers: list[tuple[int, float]] = field(default_factory=list)  # (status, seconds)
    delta_generation: int = 1  # bump to expire every delta token (410 SyncStateNotFound)
    omit_headers_in_delta: bool = False
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight: int = 0
    url: str = ""
    groups: dict[str, set[str]] = field(default_factory=dict)  # group id -> member object ids, nesting resolved
    people: set[str] = field(default_factory=set)  # object ids of the directory's users (checkMemberGroups)
    filtered_delta_cap: int = FILTERED_DELTA_CAP
    # path pattern (re.search) -> what the app lacks: answered 403 every time, with the code the service area uses
    denied: dict[str, str] = field(default_factory=dict)
    update_extras: tuple[str, ...] = ()  # what else an updated delta entry carries (mailapi.py)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/v1.0/{tail:.*}", self._dispatch)
        app.cleanup_ctx.append(self._session_ctx)
        return app

    async def _session_ctx(self, app: web.Application):
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))  # Graph waits 10 s at most
        yield
        await self._session.close()

    # --- the test's side --------------------------------------------------------------------------------
    def add_mailbox(self, mail: str, aliases: list[str] = (), upn: str = "") -> Mailbox:
        return self.state.add_mailbox(mail, list(aliases), upn)

    def mailbox(self, address: str) -> Mailbox:
        """The mailbox that receives mail for `address` (the test's side: not how Graph finds a user)."""
        found = self.state.by_address(address)
        assert found is not None, f"no fake mailbox {address}"
        return found

    def deliver(self, mailbox: str, **message: Any) -> Message:
        """Mail arrives in the mailbox's Inbox, or Junk Email with junk=True (no notification; see notify)."""
        return self.state.add_message(self.mailbox(mailbox), **message)

    def fail(self, status: int, times: int = 1, path: str = "", retry_after: str | None = None,
             method: str = "") -> None:
        self.faults += [Fault(status, path, retry_after, method) for _ in range(times)]

    def made(self, method: str, path_part: str = "") -> list[Recorded]:
        """Requests made, those inside a $batch included (Graph counts them one by one too)."""
        return [r for r in self.requests if r.method == method and path_part in r.path]

    # --- the wire -----------------------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        call = Call(request.method, request.path, dict(request.query),
                    {k.lower(): v for k, v in request.headers.items()}, body)
        if call.headers.get("authorization") != f"Bearer {self.token}":
            response = error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        elif call.tail == "$batch" and call.method == "POST":
            response = await self._injected(call, envelope=True) or await self._batch(call)
        else:
            return await self._recorded(call)
        self.requests.append(Recorded(call.method, call.path, call.query, call.headers, body, response.status))
        return response

    async def _recorded(self, call: Call, in_batch: bool = False) -> web.Response:
        record = Recorded(call.method, call.path, call.query, call.headers, call.body, in_batch=in_batch)
        self.requests.append(record)
        response = await self._answer(call)
        record.status = response.status
        return response

    async def _batch(self, call: Call) -> web.Response:
        """JSON batching (see the module's sources): a shape Graph accepts, or 400 for the whole batch."""
        items = (call.body or {}).get("requests") if isinstance(call.body, dict) else None
        if problem := batch_problem(items):
            return error(400, "BadRequest", problem)
        done: dict[str, asyncio.Future] = {str(i["id"]).lower(): asyncio.get_running_loop().create_future()
                                           for i in items}

        async def run(item: dict) -> dict:
            statuses = [await done[str(d).lower()] for d in item.get("dependsOn") or []]
            if any(not 200 <= s < 300 for s in statuses):
                answer = {"id": item["id"], "status": 424, "body": {"error": {"code": "FailedDependency"}}}
            else:
                answer = await self._item(item)
            done[str(item["id"]).lower()].set_result(answer["status"])
            return answer
        return web.json_response({"responses": list(await asyncio.gather(*(run(i) for i in items)))})

    async def _item(self, item: dict) -> dict:
        url = urlsplit(str(item.get("url", "")))
        headers = {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()}
        call = Call(str(item.get("method", "GET")).upper(), "/v1.0/" + unquote(url.path).lstrip("/"),
                    dict(parse_qsl(url.query, keep_blank_values=True)), headers, item.get("body"))
        response = await self._recorded(call, in_batch=True)
        answer: dict[str, Any] = {"id": item["id"], "status": response.status,
                                  "headers": {k: v for k, v in response.headers.items() if k == "Retry-After"}}
        if response.body:
            answer["body"] = json.loads(response.body)
        return answer

    async def _answer(self, call: Call) -> web.Response:
        if injected := await self._injected(call):
            return injected
        if refusal := self._denied(call):
            return refusal
        parts = call.tail.split("/")
        if parts[0] == "groups" and len(parts) == 2 and call.method == "GET":
            return self._group(parts[1].lower())
        if parts[0] == "subscriptions":
            return await self._subscriptions(call, parts[1:])
        if parts == ["users"] and call.method == "GET":
            return directory.list_users(self.state, call.query, self.url)
        if parts[0] != "users" or len(parts) < 2:
            return error(400, "BadRequest", f"Unsupported path {call.path}")
        if parts[2:] == ["checkMemberGroups"] and call.method == "POST":
            return self._check_member_groups(parts[1].lower(), call.body or {})
        mailbox = self.state.mailbox(parts[1])
        if mailbox is None and len(parts) == 2:
            return directory.no_such_user(parts[1])
        if mailbox is None:  # Outlook's answer for a user it cannot find, an address that is not the UPN among them:
            # InnoGE/laravel-msgraph-mail issue 16 (primary address on another domain than the UPN) and
            # microsoftgraph/microsoft-graph-docs issue 4097 show this code and message
            return error(404, "ErrorInvalidUser", f"The requested user '{parts[1]}' is invalid.")
        self.in_flight[mailbox.id] = self.in_flight.get(mailbox.id, 0) + 1
        try:
            self.max_in_flight = max(self.max_in_flight, self.in_flight[mailbox.id])
            if self.in_flight[mailbox.id] > MAX_CONCURRENT_PER_MAILBOX:
                return error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                             {"Retry-After": "1"})
            if self.latency:
                await asyncio.sleep(self.latency)
            if len(parts) == 2 and call.method == "GET":
                select = [x for x in call.query.get("$select", "").split(",") if x] or None
                return directory.get_user(mailbox, select, self.url)
            return self._mail(call, mailbox, parts[2:])
        finally:
            self.in_flight[mailbox.id] -= 1

    async def _injected(self, call: Call, envelope: bool = False) -> web.Response | None:
        """The first fault matching the call, answered. The POST /$batch itself only by a fault whose pattern names
        $batch: Graph throttles any request over a limit (throttling.md; e.g. the global 130,000 requests per 10 s
        per app, throttling-limits.md), the batch too, though the docs show 429s only inside batches."""
        fault = next((f for f in self.faults if re.search(f.path, call.path) and f.method in ("", call.method)
                      and (not envelope or "$batch" in f.path)), None)
        if not fault:
            return None
        self.faults.remove(fault)
        if fault.status == 0:
            await asyncio.sleep(self.hang_seconds)
            return error(504, "GatewayTimeout", "injected hang")
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
        code = "TooManyRequests" if fault.status == 429 else "ServiceUnavailable"
        return error(fault.status, code, "injected fault", headers)

    def _denied(self, call: Call) -> web.Response | None:
        """A permission the app was not granted: 403 (microsoft-graph-docs-contrib concepts/resolve-auth-errors.md,
        "most of which generate a 403 error"). Directory resources answer Authorization_RequestDenied "Insufficient
        privileges to complete the operation." (MicrosoftDocs/SupportArticles-docs support/entra/entra-id/
        app-integration/troubleshoot-authorization-requestdenied-graph-api.md); Outlook's answer ErrorAccessDenied
        "Access is denied. Check credentials and try again." — not in Microsoft's docs, but the body many public
        projects record from Graph for a mailbox outside the app's Exchange scope or without Mail permissions."""
        pattern = next((p for p in self.denied if re.search(p, call.path)), None)
        if pattern is None:
            return None
        if "/users/" in call.path and ("/mailFolders" in call.path or "/messages" in call.path):
            return error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        return error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

    def _group(self, group_id: str) -> web.Response:
        """GET /groups/{id} (api-reference/v1.0/api/group-get.md): the group, or 404 for an id no group has."""
        if group_id not in self.groups:
            return directory.no_such_user(group_id)
        return web.json_response({"id": group_id, "displayName": f"Group {group_id[:8]}"})

    def _check_member_groups(self, object_id: str, body: dict) -> web.Response:
        """user: checkMemberGroups: which of the given groups (at most 20) the user is in, transitively
        (api-reference/v1.0/api/directoryobject-checkmembergroups.md)."""
        wanted = body.get("groupIds")
        if not isinstance(wanted, list) or not 1 <= len(wanted) <= 20:
            return error(400, "Request_BadRequest", "groupIds must name 1 to 20 groups.")
        if object_id not in self.people:
            return error(404, "Request_ResourceNotFound", f"Resource '{object_id}' does not exist.")
        return web.json_response({"@odata.context": f"{self.url}/v1.0/$metadata#Collection(Edm.String)",
                                  "value": [g for g in wanted if object_id in self.groups.get(g.lower(), ())]})
