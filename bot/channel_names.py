"""Team and channel names for cards: Teams sends only ids in channel posts, so ask the Teams API once per team."""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from core.delivery.gate import CHANNELS, Gate
from core.model import Owner

logger = logging.getLogger(__name__)

TTL_SECONDS = 3600.0  # channels get renamed; an hour-old name is good enough for a card
MAX_TEAMS = 2000
TIMEOUT_SECONDS = 5.0


class ChannelNames:
    def __init__(self, gate: Gate | None = None) -> None:
        self._teams: dict[str, tuple[float, str, dict[str, str]]] = {}
        self._gate = gate or Gate()

    async def resolve(self, turn_context: TurnContext, owner: Owner) -> Owner:
        """The owner with its team and channel names filled in where Teams left them out."""
        if not owner.team_id or owner.team_name:
            return owner
        cached = self._teams.get(owner.team_id)
        if cached is None or time.monotonic() - cached[0] > TTL_SECONDS:
            cached = await self._fetch(turn_context, owner.team_id)
        _, team_name, channels = cached
        channel = channels.get(owner.conversation_id) or ("General" if owner.conversation_id == owner.team_id else "")
        return replace(owner, team_name=team_name, name=channel or owner.name)

    async def _fetch(self, turn_context: TurnContext, team_id: str) -> tuple[float, str, dict[str, str]]:
        try:
            # a team's details and its channel list: "get conversations" in Teams' limits (rate-limit.md)
            await asyncio.wait_for(self._gate.acquire(CHANNELS, team_id), TIMEOUT_SECONDS)
            await asyncio.wait_for(self._gate.acquire(CHANNELS, team_id), TIMEOUT_SECONDS)
            client = await TeamsInfo.get_teams_connector_client(turn_context)
            # botbuilder's Teams client is synchronous (requests): keep it off the event loop.
            details, channels = await asyncio.wait_for(asyncio.gather(
                asyncio.to_thread(client.teams.get_team_details, team_id),
                asyncio.to_thread(client.teams.get_teams_channels, team_id)), TIMEOUT_SECONDS)
        except Exception as error:  # names are decoration: a card with ids beats a failed turn
            logger.warning("could not read team and channel names", extra={"team_id": team_id,
                                                                           "error": type(error).__name__})
            return (time.monotonic() - TTL_SECONDS + 60, "", {})  # try again in a minute
        names = {c.id: c.name or "General" for c in channels.conversations or []}
        entry = (time.monotonic(), details.name or "", names)
        if len(self._teams) >= MAX_TEAMS:
            self._teams.pop(next(iter(self._teams)))
        self._teams[team_id] = entry
        return entry
