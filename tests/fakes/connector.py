"""A fake Bot Connector on a random loopback port: the /v3/conversations wire format, recorded, with injectable faults,
and, for a registered bot, the bearer check the real one makes (tests.fakes.connector_auth)."""
from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import teams
from tests.fakes.connector_auth import BotRegistration


@dataclass
class Sent:
    conversation_id: str
    activity: dict[str, Any]
    reply_to: str | None
    activity_id: str

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [a["content"] for a in self.activity.get("attachments") or []
                if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]


@dataclass
class FakeConnector:
    """Records every activity the bot sends. `faults` is a queue of (status, headers) answers to give
    before answering normally again; a status of 0 means hang for `hang_seconds`, longer than the
    client waits, then answer 504 without posting (a gateway timeout).

    With `bot` every /v3 call must carry that bot's token, as the real Bot Connector requires; without one it takes
    calls unauthenticated, as the Agents Playground's mock connector does for a bot without an app id."""

    bot: BotRegistration | None = None
    refused: list[str] = field(default_factory=list)  # why each refused call was refused
    sent: list[Sent] = field(default_factory=list)
    updated: list[Sent] = field(default_factory=list)
    faults: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: int = 0
    hang_seconds: float = 1.5
    rosters: dict[str, set[str]] = field(default_factory=dict)  # team or chat id -> member ids; others: 404
    created: list[dict[str, Any]] = field(default_factory=list)  # bodies of POST /v3/conversations (1:1 chats)
    # Users who installed the app in personal scope: only they can get a 1:1 chat from the bot (see `_not_installed`).
    installed: set[str] = field(default_factory=set)
    # Member id -> what Teams tells about them in a roster: {"name", "aadObjectId", "userRole"} (owner | user | guest)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._authorize])
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        app.router.add_get("/v3/conversations/{cid}/pagedmembers", self._paged_members)
        app.router.add_get("/v3/teams/{tid}", self._team)
        app.router.add_get("/v3/teams/{tid}/conversations", self._channels)
        return app

    @web.middleware
    async def _authorize(self, request: web.Request, handler) -> web.StreamResponse:
        if self.bot is None or not request.path.startswith("/v3/"):
            return await handler(request)
        refusal = self.bot.refusal(request.headers.get("Authorization"))
        if refusal is None:
            return await handler(request)
        self.refused.append(refusal.reason)
        return web.json_response(refusal.body, status=refusal.status)

    def headers_for(self, activity: dict[str, Any]) -> dict[str, str]:
        """What the Bot Framework sends with an activity for the registered bot: its signed bearer."""
        if self.bot is None:
            return {}
        return {"Authorization": f"Bearer {self.bot.activity_token(activity['serviceUrl'])}"}

    async def _team(self, request: web.Request) -> web.Response:
        team_id = request.match_info["tid"]
        if team_id not in teams.TEAMS:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.json_response({"id": team_id, "name": teams.TEAMS[team_id][0], "aadGroupId": "group-" + team_id})

    async def _channels(self, request: web.Request) -> web.Response:
        team_id = request.match_info["tid"]
        channels = teams.TEAMS.get(team_id, ("", {}))[1]
        general = [{"id": team_id}]  # Teams sends the General channel without a name
        return web.json_response({"conversations": general + [{"id": k, "name": v} for k, v in channels.items()]})

    async def _create(self, request: web.Request) -> web.Response:
        """A 1:1 chat with one user: Teams answers the same id each time for the same user."""
        if fault := await self._fault():
            return fault
        body = await request.json()
        members = body.get("members") or [{}]
        if refusal := self._not_installed(members[0].get("id", "")):
            return refusal
        self.created.append(body)
        return web.json_response({"id": f"a:1on1-{members[0].get('id', '')}"}, status=201)

    async def _member(self, request: web.Request) -> web.Response:
        if fault := await self._fault():
            return fault
        conversation, member = request.match_info["cid"], request.match_info["mid"]
        if member not in self.rosters.get(conversation, ()):
            return web.json_response({"error": {"code": "MemberNotFoundInConversation", "message": "not found"}},
                                     status=404)
        return web.json_response({"id": member, "name": member, "userRole": "user"})

    def _not_installed(self, user_id: str) -> web.Response | None:
        """Teams opens a 1:1 chat only with a user who has the app installed (msteams-docs
        bots/how-to/conversations/send-proactive-messages.md, note on creating the conversation; MicrosoftDocs/
        msteams-docs issue 11125). The refusal is 403 BotNotInConversationRoster, "The bot is not part of the
        conversation roster." (conversation-messages.md, "Status code responses"). The docs do not say whether an
        unknown user id gets 403 or 404; RootMail treats 400, 403 and 404 alike."""
        if user_id in self.installed:
            return None
        return web.json_response({"error": {"code": "BotNotInConversationRoster",
                                            "message": "The bot is not part of the conversation roster."}}, status=403)

    async def _paged_members(self, request: web.Request) -> web.Response:
        """GET /v3/conversations/{team or chat}/pagedmembers?pageSize=&continuationToken=: one page of the roster
        (msteams-docs resources/team-chat-member-api-changes.md and bots/how-to/get-teams-context.md, "Fetch the
        roster"): members with id, name, aadObjectId and userRole, and a continuationToken while more follow. A page
        holds at most 500 (the docs' maximum; what Teams does with a larger pageSize is not documented, so the fake
        caps it). An unknown conversation is 404 ConversationNotFound, as for any conversation call. Injected
        `faults` are for posts and the calls tests aim them at; roster reads do not take them."""
        conversation = request.match_info["cid"]
        if conversation not in self.rosters:
            return web.json_response({"error": {"code": "ConversationNotFound", "message": "Conversation not found."}},
                                     status=404)
        try:
            size = min(max(int(request.query.get("pageSize") or 200), 1), 500)
            start = int(request.query.get("continuationToken") or 0)
        except ValueError:
            return web.json_response({"error": {"code": "BadArgument", "message": "bad paging"}}, status=400)
        ids = sorted(self.rosters[conversation])
        page = [{"id": m, "name": m, "userRole": "user", **self.profiles.get(m, {})} for m in ids[start:start + size]]
        body: dict[str, Any] = {"members": page}
        if start + size < len(ids):
            body["continuationToken"] = str(start + size)
        return web.json_response(body)

    def in_private_chat_with(self, user_id: str) -> list[Sent]:
        return self.in_conversation(f"a:1on1-{user_id}")

    async def _fault(self) -> web.Response | None:
        self.requests += 1
        if not self.faults:
            return None
        status, headers = self.faults.pop(0)
        if status == 0:
            await asyncio.sleep(self.hang_seconds)
            status = 504
        return web.json_response({"error": {"code": "Injected", "message": "injected fault"}},
                                 status=status, headers=headers)

    async def _send(self, request: web.Request) -> web.Response:
        if fault := await self._fault():
            return fault
        activity = await request.json()
        activity_id = f"activity-{next(self._ids)}"
        record = Sent(request.match_info["cid"], activity, request.match_info.get("aid"), activity_id)
        async with self._arrived:
            self.sent.append(record)
            self._arrived.notify_all()
        return web.json_response({"id": activity_id})

    async def _update(self, request: web.Request) -> web.Response:
        if fault := await self._fault():
            return fault
        activity = await request.json()
        self.updated.append(Sent(request.match_info["cid"], activity, None, request.match_info["aid"]))
        return web.json_response({"id": request.match_info["aid"]})

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Sent]:
        """Wait until at least `count` activities were sent; return them all."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.sent) >= count), timeout)
        return list(self.sent)

    def in_conversation(self, conversation_id: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation_id == conversation_id]
