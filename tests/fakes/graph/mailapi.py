"""The fake Graph's Outlook side, mixed into FakeGraph: a mailbox's folders, messages (get, update, move), the folder
message list, and delta. Sources, in microsoftgraph/microsoft-graph-docs-contrib unless named otherwise:

- concepts/outlook-immutable-id.md: a message's id changes when it moves, unless the request carried
  `Prefer: IdType="ImmutableId"`; "This header only applies to the request it is included with". The docs do not
  say whether a request without the header may still name a message by its immutable id; the fake allows either
  form in a URL, so only an id kept from before a move fails.
- api-reference/v1.0/resources/mailfolder.md: well-known folder names (inbox, junkemail) stand for folder ids.
- concepts/delta-query-messages.md: the only $filter is on receivedDateTime; "Applying $filter in a delta query
  returns only up to 5,000 messages"; without $orderby "the return order isn't guaranteed". Which 5,000 come back
  is not said: the fake keeps the newest, so it is the older mail a recovering client would lose. changeType=created
  limits later rounds to created messages.
- concepts/delta-query-overview.md: "Updated instances are represented by their id with at least the properties
  that have been updated, but additional properties may be included"; the fake sends exactly those, plus the
  properties a test names in `update_extras`.
- api-reference/v1.0/api/mailfolder-list-messages.md: a folder's messages with $filter, $select, $top, paged by
  @odata.nextLink.
"""
from __future__ import annotations

import re
import uuid
from bisect import bisect_right
from typing import Any
from urllib.parse import quote

from aiohttp import web

from tests.fakes.graph.state import Call, GraphState, Mailbox, Message, decode_token, encode_token, error, shaped

FILTERED_DELTA_CAP = 5000
DEFAULT_PAGE = 10
_FILTER_SINCE = re.compile(r"^\s*receivedDateTime\s+(ge|gt)\s+(\S+)\s*$")
_FILTER_NAME = re.compile(r"displayName\s+eq\s+'((?:[^']|'')*)'")
_PAGE_SIZE = re.compile(r"odata\.maxpagesize=(\d+)")
TEXT_BODY = 'outlook.body-content-type="text"'


def wants_immutable(prefer: str) -> bool:
    return 'idtype="immutableid"' in prefer.lower()


class MailApi:
    """Mixed into FakeGraph, which provides state, url, delta_generation, omit_headers_in_delta, filtered_delta_cap
    and update_extras."""

    state: GraphState
    url: str
    delta_generation: int
    omit_headers_in_delta: bool
    filtered_delta_cap: int
    update_extras: tuple[str, ...]

    def _mail(self, call: Call, box: Mailbox, rest: list[str]) -> web.Response:
        select = [s for s in call.query.get("$select", "").split(",") if s] or None
        prefer = call.headers.get("prefer", "")
        if rest[:1] == ["mailFolders"]:
            return self._folders(call, box, rest[1:], select, prefer)
        if rest[:1] == ["messages"] and len(rest) >= 2:
            return self._message(call, box, rest[1], rest[2:], select, prefer)
        return error(400, "BadRequest", f"Unsupported {call.method} {call.path}")

    def _message(self, call: Call, box: Mailbox, key: str, rest: list[str], select, prefer: str) -> web.Response:
        message = box.messages.get(key) or next((m for m in box.messages.values() if m.rest_id == key), None)
        if message is None:
            return error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        immutable, body = wants_immutable(prefer), call.body or {}
        if not rest and call.method == "GET":
            return web.json_response(shaped(message, select, TEXT_BODY in prefer, immutable))
        if not rest and call.method == "PATCH":
            self.state.update(box, message, {k: v for k, v in body.items() if k in ("isRead", "categories")})
            return web.json_response(shaped(message, None, False, immutable))
        if rest == ["move"] and call.method == "POST":
            # the SDK sends the action parameter as "DestinationId"; Graph reads it case-insensitively
            folder = box.folder_id(next((v for k, v in body.items() if k.lower() == "destinationid"), ""))
            if folder is None:
                return error(404, "ErrorInvalidIdMalformed", "Id is malformed.")
            self.state.move(box, message, folder)
            return web.json_response(shaped(message, None, False, immutable), status=201)
        return error(400, "BadRequest", f"Unsupported {call.method} {call.path}")

    def _folders(self, call: Call, box: Mailbox, rest: list[str], select, prefer: str) -> web.Response:
        body = call.body or {}
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
        if folder and rest[1:3] in (["messages", "delta()"], ["messages", "delta"]) and call.method == "GET":
            return self._delta(call, box, folder, select, prefer)
        if folder and rest[1:] == ["messages"] and call.method == "GET":
            return self._list(call, box, folder, select, prefer)
        return error(404, "ErrorInvalidIdMalformed", "Id is malformed.")

    def _list(self, call: Call, box: Mailbox, folder: str, select, prefer: str) -> web.Response:
        """A folder's messages, newest first, $top to a page (10 unless asked), paged by $skip."""
        since = _FILTER_SINCE.match(call.query.get("$filter", "")) if call.query.get("$filter") else None
        if call.query.get("$filter") and since is None:
            return error(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")
        top, skip = int(call.query.get("$top", DEFAULT_PAGE)), int(call.query.get("$skip", 0))
        found = sorted((m for m in self.state.in_folder(box, folder) if not since or _after(m, since[1], since[2])),
                       key=lambda m: (m.data["receivedDateTime"], m.seq), reverse=True)
        page = found[skip:skip + top]
        answer: dict[str, Any] = {"@odata.context": f"{self.url}/v1.0/$metadata#Collection(message)",
                                  "value": [shaped(m, select, TEXT_BODY in prefer, wants_immutable(prefer))
                                            for m in page]}
        if skip + top < len(found):
            query = "&".join(f"{k}={quote(v, safe='')}" for k, v in {**call.query, "$skip": str(skip + top)}.items())
            answer["@odata.nextLink"] = f"{self.url}{call.path}?{query}"
        return web.json_response(answer)

    def _delta(self, call: Call, box: Mailbox, folder: str, select, prefer: str) -> web.Response:
        query = call.query
        token = query.get("$deltatoken") or query.get("$skiptoken")
        if token:
            state = decode_token(token)
            if state.get("gen") != self.delta_generation:
                return error(410, "SyncStateNotFound", "The sync state generation is not valid.")
            if "$deltatoken" in query:  # a new round
                state = self._capped(box, folder, {**state, "w": self.state.last_seq, "after": state["lo"]})
        else:
            raw_filter = query.get("$filter", "")
            since = _FILTER_SINCE.match(raw_filter) if raw_filter else None
            if raw_filter and since is None:
                return error(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")
            state = self._capped(box, folder, {
                "lo": 0, "after": 0, "w": self.state.last_seq, "since": since[2] if since else "",
                "op": since[1] if since else "", "sel": select, "ct": query.get("changeType", ""),
                "gen": self.delta_generation})
        size = int(m[1]) if (m := _PAGE_SIZE.search(prefer)) else DEFAULT_PAGE
        changes = self._changes(box, folder, state)
        page, more = changes[:size], len(changes) > size
        sel = state["sel"]
        if self.omit_headers_in_delta and sel:
            sel = [s for s in sel if s != "internetMessageHeaders"]
        immutable = wants_immutable(prefer)
        value = [self._entry(item, sel, TEXT_BODY in prefer, immutable, state["lo"]) for _, item in page]
        link = f"{self.url}/v1.0/users/{quote(box.id)}/mailFolders/{quote(folder)}/messages/delta()"
        answer: dict[str, Any] = {"@odata.context": f"{self.url}/v1.0/$metadata#Collection(message)", "value": value}
        if more:
            answer["@odata.nextLink"] = f"{link}?$skiptoken={encode_token({**state, 'after': page[-1][0]})}"
        else:
            answer["@odata.deltaLink"] = f"{link}?$deltatoken={encode_token({**state, 'lo': state['w']})}"
        return web.json_response(answer, headers={"Preference-Applied": f"odata.maxpagesize={size}"})

    def _entry(self, item: Any, sel, text: bool, immutable: bool, lo: int) -> dict[str, Any]:
        if isinstance(item, tuple):  # (immutable id, rest id) of a message that left the folder
            return {"@odata.type": "#microsoft.graph.message", "id": item[0] if immutable else item[1],
                    "@removed": {"reason": "deleted"}}
        if item.created_seq <= lo and item.changed:  # updated since the last round: the changed properties only
            return {"@odata.type": "#microsoft.graph.message", "@odata.etag": item.data["@odata.etag"],
                    "id": item.graph_id(immutable), **{k: item.data[k] for k in (*self.update_extras, *item.changed)}}
        return shaped(item, sel, text, immutable)

    def _capped(self, box: Mailbox, folder: str, state: dict) -> dict:
        """A filtered round returns at most filtered_delta_cap messages: remember where the newest of them ends."""
        state = {k: v for k, v in state.items() if k != "floor"}
        if not state["since"]:
            return state
        lo, created_only = state["lo"], state["ct"] == "created"
        created = [m for m in self._ordered(box)[0] if m.folder == folder and lo < m.seq <= state["w"]
                   and not (created_only and m.created_seq <= lo) and _after(m, state["op"], state["since"])]
        if len(created) > self.filtered_delta_cap:
            newest = sorted(created, key=_rank, reverse=True)
            state["floor"] = list(_rank(newest[self.filtered_delta_cap - 1]))
        return state

    def _ordered(self, box: Mailbox) -> tuple[list[Message], list[int]]:
        cached = getattr(box, "_sorted", None)
        if cached is None or cached[0] != self.state.last_seq:
            ordered = sorted(box.messages.values(), key=lambda m: m.seq)
            cached = (self.state.last_seq, ordered, [m.seq for m in ordered])
            box._sorted = cached  # type: ignore[attr-defined]
        return cached[1], cached[2]

    def _changes(self, box: Mailbox, folder: str, state: dict) -> list[tuple[int, Any]]:
        """Messages created (or, without changeType=created, changed) in the folder and ids removed from it,
        in (state.after, state.w], in change order."""
        ordered, seqs = self._ordered(box)
        lo, after, w, floor = state["lo"], state["after"], state["w"], state.get("floor")
        found: list[tuple[int, Any]] = []
        for message in ordered[bisect_right(seqs, after):]:
            if message.seq > w:
                break
            if message.folder != folder or state["ct"] == "created" and message.created_seq <= lo:
                continue
            if state["since"] and not _after(message, state["op"], state["since"]):
                continue
            if floor and list(_rank(message)) < floor:
                continue  # past the 5,000 a filtered round returns
            found.append((message.seq, message))
        if state["ct"] != "created":
            found += [(seq, (mid, rest)) for seq, mid, left, rest in box.removed
                      if left == folder and after < seq <= w and lo < seq]
        return sorted(found, key=lambda pair: pair[0])


def _after(message: Message, op: str, since: str) -> bool:
    received = message.data["receivedDateTime"]
    return received > since if op == "gt" else received >= since


def _rank(message: Message) -> tuple[str, int]:
    return message.data["receivedDateTime"], message.seq
