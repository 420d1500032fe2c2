"""Who is in a team or chat, asked of the Bot Connector: one person (Reveal's check) or the whole roster (kept an hour).

Every read counts as "get conversation members" in the team's or chat's limiter (core.delivery.gate), and a 429
pauses those reads.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.schema import ConversationReference, ErrorResponseException

from bot.poster import THROTTLED, _retry_after
from bot.service_urls import ServiceUrls
from core.delivery.gate import MEMBERS, Gate
from core.intake.reveal import MembershipUnknown
from core.model import Owner, Person

logger = logging.getLogger(__name__)

NOT_FOUND = 404
PAGE_SIZE = 500  # the paged roster's largest page (msteams-docs resources/team-chat-member-api-changes.md)
MAX_MEMBERS = 5000  # a roster read stops here: enough for names, owners and the 60 who auto-refresh
ROSTER_SECONDS = 3600.0  # people join and leave; an hour-old roster is good enough for names and buttons
MAX_ROSTERS = 500


@dataclass(frozen=True)
class Member:
    id: str  # the Teams user id (MRI, 29:...): what refresh.userIds and mentions take
    name: str
    aad_object_id: str
    role: str  # owner | user | guest | anonymous (TeamsChannelAccount.userRole)


class _Connector:
    """Runs one Bot Connector read in a proactive turn of a stored conversation, within the gate."""

    def __init__(self, adapter: CloudAdapterBase, app_id: str, gate: Gate, timeout: float,
                 service_urls: ServiceUrls | None = None):
        self._adapter, self._app_id, self.gate, self._timeout = adapter, app_id, gate, timeout
        self._urls = service_urls or ServiceUrls(bool(app_id))

    async def read(self, owner: Owner, key: str, call: Callable[[Any], Awaitable[Any]]) -> Any:
        """`call(connector client)`'s answer; ErrorResponseException and others are raised as they came."""
        reference = ConversationReference().deserialize(owner.reference)
        if not self._urls.allowed(reference.service_url):
            raise MembershipUnknown("the stored service URL is not a Bot Connector RootMail calls")
        answers: list[Any] = []
        failures: list[BaseException] = []

        async def ask(turn_context: TurnContext) -> None:
            try:
                answers.append(await call(turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)))
            except Exception as error:  # kept: the adapter would swallow it
                failures.append(error)

        await asyncio.wait_for(self.gate.acquire(MEMBERS, key), self._timeout)
        await asyncio.wait_for(self._adapter.continue_conversation(reference, ask, self._app_id or None),
                               self._timeout)
        if failures:
            error = failures[0]
            if isinstance(error, ErrorResponseException) and error.response is not None \
                    and error.response.status_code == THROTTLED:
                self.gate.throttled(MEMBERS, key, _retry_after(error.response.headers))
            raise error
        if not answers:
            raise MembershipUnknown("the Bot Connector gave no answer")
        self.gate.succeeded(MEMBERS, key)
        return answers[0]


def _roster_of(owner: Owner) -> str:
    """A channel's members are its team's (GET /v3/conversations/{team id}/...); a chat's are its own."""
    return owner.team_id or owner.conversation_id


class TeamsMembership:
    """core.intake.reveal.Membership: GET /v3/conversations/{team or chat}/members/{user}, the team's roster for a
    channel owner (as TeamsInfo.get_team_member means to; botbuilder 4.17.1 asks the activity's conversation instead,
    so it is called directly here), the chat's members otherwise. 404 is "not a member"; anything else is unknown."""

    def __init__(self, adapter: CloudAdapterBase, app_id: str, timeout: float = 10.0, gate: Gate | None = None,
                 service_urls: ServiceUrls | None = None):
        self._connector = _Connector(adapter, app_id, gate or Gate(), timeout, service_urls)

    async def is_member(self, owner: Owner, person: Person) -> bool:
        if not owner.reference or not person.id:
            raise MembershipUnknown("no conversation reference or user id to ask Teams with")
        conversation = _roster_of(owner)
        try:
            await self._connector.read(owner, conversation, lambda client: client.conversations
                                       .get_conversation_member(conversation, person.id))
            return True
        except ErrorResponseException as error:
            if error.response is not None and error.response.status_code == NOT_FOUND:
                return False
            reason = type(error).__name__
        except Exception as error:  # whatever failed, membership is unknown
            reason = type(error).__name__
        logger.warning("membership check failed", extra={"conversation": conversation, "error": reason})
        raise MembershipUnknown(f"Teams did not answer the membership check ({reason})")


class Rosters:
    """Whole rosters (GET /v3/conversations/{team or chat}/pagedmembers), kept an hour: names of people, the
    owners of a team, the people a card refreshes automatically for. None when Teams cannot say (not retried for a
    minute)."""

    def __init__(self, adapter: CloudAdapterBase, app_id: str, gate: Gate, timeout: float = 10.0,
                 clock: Callable[[], float] = time.monotonic, service_urls: ServiceUrls | None = None):
        self._connector, self._clock = _Connector(adapter, app_id, gate, timeout, service_urls), clock
        self._kept: dict[str, tuple[float, tuple[Member, ...] | None]] = {}
        self._reading: dict[str, asyncio.Task] = {}

    async def members(self, owner: Owner) -> tuple[Member, ...] | None:
        key = _roster_of(owner)
        kept = self._kept.get(key)
        if kept is not None and self._clock() < kept[0]:
            return kept[1]
        if not owner.reference:
            return None
        reading = self._reading.get(key)
        if reading is None:  # one read per roster at a time, however many cards ask
            reading = self._reading[key] = asyncio.ensure_future(self._read(owner, key))
            reading.add_done_callback(lambda _: self._reading.pop(key, None))
        return await asyncio.shield(reading)

    def known(self, owner: Owner) -> tuple[Member, ...] | None:
        """The kept roster, without asking Teams."""
        kept = self._kept.get(_roster_of(owner))
        return kept[1] if kept is not None else None

    async def _read(self, owner: Owner, key: str) -> tuple[Member, ...] | None:
        found: list[Member] = []
        token = None
        try:
            while len(found) < MAX_MEMBERS:
                page = await self._connector.read(owner, key, lambda client, t=token: client.conversations
                                                  .get_teams_conversation_paged_members(key, PAGE_SIZE, t))
                found += [Member(m.id or "", m.name or "", getattr(m, "aad_object_id", "") or "",
                                 getattr(m, "user_role", "") or "") for m in page.members or [] if m.id]
                token = page.continuation_token
                if not token:
                    break
            roster: tuple[Member, ...] | None = tuple(found)
            keep = ROSTER_SECONDS
        except Exception as error:  # rosters are decoration: names, owners, auto-refresh
            logger.warning("could not read a roster", extra={"conversation": key, "error": type(error).__name__})
            roster, keep = None, 60.0
        if len(self._kept) >= MAX_ROSTERS:
            self._kept.pop(next(iter(self._kept)))
        self._kept[key] = (self._clock() + keep, roster)
        return roster
