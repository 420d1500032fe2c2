"""A fake Microsoft Graph v1.0 on a random loopback port: users, mail folders, messages, delta, move, JSON batching
and subscriptions in the real JSON shapes; it records requests, checks the bearer token, enforces Outlook's 4
concurrent requests per mailbox, performs the subscription validation handshake, posts change and lifecycle
notifications (tests/fakes/graph/notify.py), and injects 429 (with Retry-After), 5xx and hangs."""
from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import aiohttp
from aiohttp import web
from azure.core.credentials import AccessToken

from tests.fakes.graph.notify import Subscription, Subscriptions
from tests.fakes.graph.state import (Call, GraphState, Mailbox, Message, decode_token, encode_token, error, shaped)

MAX_CONCURRENT_PER_MAILBOX = 4
MAX_BATCH = 20
_DEFAULT_PAGE = 10
_FILTER_SINCE = re.compile(r"receivedDateTime\s+ge\s+(\S+)")
_FILTER_NAME = re.compile(r"displayName\s+eq\s+'((?:[^']|'')*)'")
_PAGE_SIZE = re.compile(r"odata\.maxpagesize=(\d+)")


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


@dataclass
class FakeGraph(Subscriptions):
    token: str = "fake-graph-token"
    tenant_id: str = "tenant-0001"
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
    def add_mailbox(self, mail: str, aliases: list[str] = ()) -> Mailbox:
        return self.state.add_mailbox(mail, list(aliases))

    def mailbox(self, key: str) -> Mailbox:
        found = self.state.mailbox(key)
        assert found is not None, f"no fake mailbox {key}"
        return found

    def deliver(self, mailbox: str, **message: Any) -> Message:
        """Mail arrives in the mailbox's Inbox (no notification; see notify)."""
        return self.state.add_message(self.mailbox(mailbox), **message)

    def fail(self, status: int, times: int = 1, path: str = "", retry_after: str | None = None) -> None:
        self.faults += [Fault(status, path, retry_after) for _ in range(times)]

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
            response = await self._batch(call)
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
        """JSON batching: each request runs as if sent alone; `dependsOn` orders them, a failed dependency
        fails its dependents with 424; the others run side by side."""
        items = (call.body or {}).get("requests") or []
        if not 0 < len(items) <= MAX_BATCH or len({i.get("id") for i in items}) != len(items):
            return error(400, "BadRequest", f"A batch holds 1 to {MAX_BATCH} requests with distinct ids.")
        done: dict[str, asyncio.Future] = {i["id"]: asyncio.get_running_loop().create_future() for i in items}

        async def run(item: dict) -> dict:
            statuses = [await done[d] for d in item.get("dependsOn") or [] if d in done]
            if any(not 200 <= s < 300 for s in statuses):
                answer = {"id": item["id"], "status": 424, "body": {"error": {"code": "FailedDependency"}}}
            else:
                answer = await self._item(item)
            done[item["id"]].set_result(answer["status"])
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
        fault = next((f for f in self.faults if re.search(f.path, call.path)), None)
        if fault:
            self.faults.remove(fault)
            if fault.status == 0:
                await asyncio.sleep(self.hang_seconds)
                return error(504, "GatewayTimeout", "injected hang")
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            code = "TooManyRequests" if fault.status == 429 else "ServiceUnavailable"
            return error(fault.status, code, "injected fault", headers)
        parts = call.tail.split("/")
        if parts[0] == "subscriptions":
            return await self._subscriptions(call, parts[1:])
        if parts[0] != "users" or len(parts) < 2:
            return error(400, "BadRequest", f"Unsupported path {call.path}")
        if parts[2:] == ["checkMemberGroups"] and call.method == "POST":
            return self._check_member_groups(parts[1].lower(), call.body or {})
        mailbox = self.state.mailbox(parts[1])
        if mailbox is None:
            return error(404, "ErrorInvalidUser", f"The requested user '{parts[1]}' is invalid.")
        self.in_flight[mailbox.id] = self.in_flight.get(mailbox.id, 0) + 1
        try:
            self.max_in_flight = max(self.max_in_flight, self.in_flight[mailbox.id])
            if self.in_flight[mailbox.id] > MAX_CONCURRENT_PER_MAILBOX:
                return error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                             {"Retry-After": "1"})
            if self.latency:
                await asyncio.sleep(self.latency)
            return await self._user(call, mailbox, parts[2:])
        finally:
            self.in_flight[mailbox.id] -= 1

    def _check_member_groups(self, object_id: str, body: dict) -> web.Response:
        """user: checkMemberGroups: which of the given groups (at most 20) the user is in, transitively."""
        wanted = body.get("groupIds")
        if not isinstance(wanted, list) or not 1 <= len(wanted) <= 20:
            return error(400, "Request_BadRequest", "groupIds must name 1 to 20 groups.")
        if object_id not in self.people:
            return error(404, "Request_ResourceNotFound", f"Resource '{object_id}' does not exist.")
        return web.json_response({"@odata.context": f"{self.url}/v1.0/$metadata#Collection(Edm.String)",
                                  "value": [g for g in wanted if object_id in self.groups.get(g.lower(), ())]})

    async def _user(self, call: Call, box: Mailbox, rest: list[str]) -> web.Response:
        select = [s for s in call.query.get("$select", "").split(",") if s] or None
        prefer, body = call.headers.get("prefer", ""), call.body
        if not rest and call.method == "GET":
            user = {"id": box.id, "mail": box.mail, "proxyAddresses": box.proxy_addresses,
                    "displayName": box.mail.split("@")[0], "userPrincipalName": box.mail}
            return web.json_response({"@odata.context": f"{self.url}/v1.0/$metadata#users/$entity",
                                      **{k: v for k, v in user.items() if not select or k in select or k == "id"}})
        if rest[:1] == ["mailFolders"]:
            return self._folders(call, box, rest[1:], body, select, prefer)
        if rest[:1] == ["messages"] and len(rest) >= 2:
            message = box.messages.get(rest[1])
            if message is None:
                return error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            if len(rest) == 2 and call.method == "GET":
                return web.json_response(shaped(message, select, 'outlook.body-content-type="text"' in prefer))
            if len(rest) == 2 and call.method == "PATCH":
                self.state.update(box, message, {k: v for k, v in body.items() if k in ("isRead", "categories")})
                return web.json_response(shaped(message, None, False))
            if rest[2:] == ["move"] and call.method == "POST":
                # the SDK sends the action parameter as "DestinationId"; Graph reads it case-insensitively
                folder = box.folder_id(next((v for k, v in body.items() if k.lower() == "destinationid"), ""))
                if folder is None:
                    return error(404, "ErrorInvalidIdMalformed", "Id is malformed.")
                self.state.move(box, message, folder)
                return web.json_response(shaped(message, None, False), status=201)
        return error(400, "BadRequest", f"Unsupported {call.method} {call.path}")

    def _folders(self, call: Call, box: Mailbox, rest: list[str], body, select, prefer) -> web.Response:
        if not rest and call.method == "GET":
            wanted = _FILTER_NAME.search(call.query.get("$filter", ""))
            name = wanted[1].replace("''", "'") if wanted else None
            folders = [{"id": fid, "displayName": n, "parentFolderId": "AQMkRoot", "childFolderCount": 0,
                        "unreadItemCount": 0, "totalItemCount": len(self.state.in_folder(box, fid))}
                       for fid, n in box.folders.items() if name is None or n.lower() == name.lower()]
            return web.json_response({"@odata.context": "...", "value": folders})
        if not rest and call.method == "POST":
            if any(n.lower() == body["displayName"].lower() for n in box.folders.values()):
                return error(409, "ErrorFolderExists", "A folder with the specified name already exists.")
            fid = f"AQMkFolder{len(box.folders)}{uuid.uuid4().hex[:8]}"
            box.folders[fid] = body["displayName"]
            return web.json_response({"id": fid, "displayName": body["displayName"], "parentFolderId": "AQMkRoot",
                                      "childFolderCount": 0, "unreadItemCount": 0, "totalItemCount": 0}, status=201)
        folder = box.folder_id(rest[0]) if rest else None
        if folder and rest[1:3] == ["messages", "delta()"] or folder and rest[1:3] == ["messages", "delta"]:
            return self._delta(call, box, folder, select, prefer)
        return error(404, "ErrorInvalidIdMalformed", "Id is malformed.")

    def _delta(self, call: Call, box: Mailbox, folder: str, select, prefer) -> web.Response:
        query = call.query
        token = query.get("$deltatoken") or query.get("$skiptoken")
        if token:
            state = decode_token(token)
            if state.get("gen") != self.delta_generation:
                return error(410, "SyncStateNotFound", "The sync state generation is not valid.")
            if "$deltatoken" in query:
                state = {**state, "w": self.state.last_seq, "after": state["lo"]}
        else:
            since = _FILTER_SINCE.search(query.get("$filter", ""))
            state = {"lo": 0, "after": 0, "w": self.state.last_seq, "since": since[1] if since else "",
                     "sel": select, "ct": query.get("changeType", ""), "gen": self.delta_generation}
        size = int(m[1]) if (m := _PAGE_SIZE.search(prefer)) else _DEFAULT_PAGE
        changes = self._changes(box, folder, state)
        page, more = changes[:size], len(changes) > size
        sel = state["sel"]
        if self.omit_headers_in_delta and sel:
            sel = [s for s in sel if s != "internetMessageHeaders"]
        text = 'outlook.body-content-type="text"' in prefer
        value = [shaped(item, sel, text) if isinstance(item, Message) else
                 {"@odata.type": "#microsoft.graph.message", "id": item, "@removed": {"reason": "deleted"}}
                 for _, item in page]
        link = f"{self.url}/v1.0/users/{quote(box.id)}/mailFolders/{quote(folder)}/messages/delta()"
        answer: dict[str, Any] = {"@odata.context": f"{self.url}/v1.0/$metadata#Collection(message)", "value": value}
        if more:
            answer["@odata.nextLink"] = f"{link}?$skiptoken={encode_token({**state, 'after': page[-1][0]})}"
        else:
            answer["@odata.deltaLink"] = f"{link}?$deltatoken={encode_token({**state, 'lo': state['w']})}"
        return web.json_response(answer, headers={"Preference-Applied": f"odata.maxpagesize={size}"})

    def _changes(self, box: Mailbox, folder: str, state: dict) -> list[tuple[int, Any]]:
        """Messages created (or, without changeType=created, changed) in the folder and ids removed from it,
        in (state.after, state.w], in change order."""
        cached = getattr(box, "_sorted", None)
        if cached is None or cached[0] != self.state.last_seq:
            ordered = sorted((m.seq, m) for m in box.messages.values())
            cached = (self.state.last_seq, ordered, [s for s, _ in ordered])
            box._sorted = cached  # type: ignore[attr-defined]
        _, ordered, seqs = cached
        lo, after, w = state["lo"], state["after"], state["w"]
        found: list[tuple[int, Any]] = []
        for seq, message in ordered[bisect_right(seqs, after):]:
            if seq > w:
                break
            if message.folder != folder or state["ct"] == "created" and message.created_seq <= lo:
                continue
            if state["since"] and message.data["receivedDateTime"] < state["since"]:
                continue
            found.append((seq, message))
        found += [(seq, mid) for seq, mid, left in box.removed if left == folder and after < seq <= w and lo < seq]
        return sorted(found, key=lambda pair: pair[0])
