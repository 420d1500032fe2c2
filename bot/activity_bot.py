"""RootMail's ActivityHandler: messages, card submits and Action.Execute invokes, each answered with a card."""
from __future__ import annotations

import logging
import uuid
from typing import Any

from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, ChannelAccount, InvokeResponse

import cards
from bot.handlers import Card, run_action, run_command
from bot.channel_names import ChannelNames
from bot.service_urls import ServiceUrls
from bot.services import Services
from bot.turn import command_text, owner_of, turn_of
from cards.protection import refusal_card
from cards.status import unavailable_card
from core.errors import Forbidden, RootMailError, StoreUnavailable
from core.model import Owner
from core.trace import correlation_id

logger = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
OWNER = "rootmail.owner"  # turn_state keys
NEW_CONVERSATION = "rootmail.new_conversation"


def card_message(card: Card, summary: str = "RootMail") -> Activity:
    message = MessageFactory.attachment(CardFactory.adaptive_card(card))
    message.summary = summary
    return message


class RootMailBot(ActivityHandler):
    def __init__(self, services: Services, service_urls: ServiceUrls | None = None):
        self._services, self._urls = services, service_urls or ServiceUrls(False)
        self._names = ChannelNames()
        self._known_conversations: set[str] = set()

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        correlation_id.set(f"turn:{activity.id or uuid.uuid4().hex[:12]}")  # the adapter runs each turn in its own task
        if not self._urls.allowed(activity.service_url):  # no reply, nothing remembered
            logger.warning("activity from a Bot Connector RootMail does not call ignored")
            return
        owner = owner_of(activity)
        if activity.service_url and self._services.access.tenant_allowed(owner.tenant_id):  # else: refused, unrecorded
            owner = await self._names.resolve(turn_context, owner)
            try:
                turn_context.turn_state[NEW_CONVERSATION] = await self._remember(owner)
            except StoreUnavailable:  # remembered on a later turn; commands that need the store say it is down
                logger.warning("conversation not remembered: the store is unavailable")
        turn_context.turn_state[OWNER] = owner
        await super().on_turn(turn_context)

    async def _remember(self, owner: Owner) -> bool:
        """Keep each conversation's reference so proactive posts work after a restart; True if it is new."""
        if owner.conversation_id in self._known_conversations:
            return False
        known = await self._services.store.get_conversation(owner.conversation_id)
        if known != owner or known.reference != owner.reference:
            await self._services.store.save_conversation(owner)
        self._known_conversations.add(owner.conversation_id)
        return known is None

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        owner = turn_context.turn_state[OWNER]
        value = activity.value if isinstance(activity.value, dict) else None
        if value and value.get("rootmail"):  # Action.Submit from a client without Action.Execute
            card = await self._guarded(run_action, turn_of(activity, owner, data=value), str(value["rootmail"]))
        else:
            card = await self._guarded(run_command, turn_of(activity, owner, text=command_text(activity)))
        await turn_context.send_activity(card_message(card))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        action = (activity.value or {}).get("action") or {} if isinstance(activity.value, dict) else {}
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        verb = str(action.get("verb") or data.get("rootmail") or "")
        card = await self._guarded(run_action, turn_of(activity, turn_context.turn_state[OWNER], data=data), verb)
        # botbuilder 4.17.1 under CloudAdapter cannot serialize on_adaptive_card_invoke's return value;
        # answering from on_invoke_activity with the schema model works.
        body = AdaptiveCardInvokeResponse(status_code=200, type=CARD_CONTENT_TYPE, value=card)
        return InvokeResponse(status=200, body=body)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext):
        # Clients repeat "bot added" each time a conversation is opened; welcome a conversation only once.
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if turn_context.turn_state.get(NEW_CONVERSATION) and any(member.id == bot_id for member in members_added):
            await turn_context.send_activity(card_message(cards.help_card(), "Welcome to RootMail"))

    async def _guarded(self, handler, *args: Any) -> Card:
        """Every failure becomes a friendly card; unexpected ones are logged with a reference id."""
        try:
            return await handler(self._services, *args)
        except StoreUnavailable as away:
            logger.warning("store unavailable during a turn", extra={"reason": str(away)[:200]})
            return unavailable_card(self._services.readiness and self._services.readiness.get("store"))
        except Forbidden as refused:  # already audited where it was decided
            return refusal_card("Not allowed", str(refused))
        except RootMailError as error:
            return cards.error_card("That did not work", str(error))
        except Exception:
            reference = uuid.uuid4().hex[:8]
            logger.exception("turn failed", extra={"error_ref": reference})
            return cards.error_card("Something went wrong",
                                    f"Nothing was lost. If it happens again, give an admin this reference: {reference}.")
