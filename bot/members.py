"""core.intake.reveal.Membership on the Bot Connector: is this person in the team that owns a channel, or in the chat?"""
from __future__ import annotations

import asyncio
import logging

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.schema import ConversationReference, ErrorResponseException

from bot.service_urls import ServiceUrls
from core.model import Owner, Person
from core.intake.reveal import MembershipUnknown

logger = logging.getLogger(__name__)

NOT_FOUND = 404


class TeamsMembership:
    """GET /v3/conversations/{team or chat}/members/{user}: the team's roster for a channel owner (as TeamsInfo
    .get_team_member means to; botbuilder 4.17.1 asks the activity's conversation instead, so it is called
    directly here), the chat's members otherwise. 404 is "not a member"; anything else is unknown."""

    def __init__(self, adapter: CloudAdapterBase, app_id: str, timeout: float = 10.0,
                 service_urls: ServiceUrls | None = None):
        self._adapter, self._app_id, self._timeout = adapter, app_id, timeout
        self._urls = service_urls or ServiceUrls(bool(app_id))

    async def is_member(self, owner: Owner, person: Person) -> bool:
        if not owner.reference or not person.id:
            raise MembershipUnknown("no conversation reference or user id to ask Teams with")
        reference = ConversationReference().deserialize(owner.reference)
        if not self._urls.allowed(reference.service_url):
            raise MembershipUnknown("the stored service URL is not a Bot Connector RootMail calls")
        conversation = owner.team_id or owner.conversation_id
        answers: list[bool] = []
        failures: list[BaseException] = []

        async def ask(turn_context: TurnContext) -> None:
            client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
            try:
                await client.conversations.get_conversation_member(conversation, person.id)
                answers.append(True)
            except ErrorResponseException as error:
                if error.response is not None and error.response.status_code == NOT_FOUND:
                    answers.append(False)
                else:
                    failures.append(error)
            except Exception as error:  # translated below: whatever failed, membership is unknown
                failures.append(error)

        try:
            await asyncio.wait_for(self._adapter.continue_conversation(reference, ask, self._app_id or None),
                                   self._timeout)
        except Exception as error:
            failures.append(error)
        if answers:
            return answers[0]
        reason = type(failures[0]).__name__ if failures else "no answer"
        logger.warning("membership check failed", extra={"conversation": conversation, "error": reason})
        raise MembershipUnknown(f"Teams did not answer the membership check ({reason})")
