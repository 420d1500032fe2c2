"""Answers back to Teams: card messages and replies within Teams' limits, invoke responses, the typing indicator."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, TypeVar

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from msrest.serialization import Model
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse, ErrorResponseException, InvokeResponse

from bot.poster import THROTTLED, _retry_after
from core.delivery.gate import SEND, Gate

logger = logging.getLogger(__name__)

Card = dict[str, Any]
T = TypeVar("T")
CARD = "application/vnd.microsoft.card.adaptive"
# Universal Actions' response types (learn.microsoft.com adaptive-cards/authoring-cards/universal-action-model,
# "Response format"): a card replaces the pressed card for the presser; a message is shown to the presser and
# leaves the card as it is.
MESSAGE = "application/vnd.microsoft.activity.message"
TYPING_AFTER = 1.0  # seconds a command may take before the typing indicator shows
# A typing indicator shows for about three seconds (Bot Framework Activity spec, "Typing activity": clients SHOULD
# display it for three seconds), so a long command repeats it.
TYPING_EVERY = 3.0


def card_message(card: Card, summary: str = "RootMail") -> Activity:
    message = MessageFactory.attachment(CardFactory.adaptive_card(card))
    message.summary = summary
    return message


def invoke_card(card: Card) -> InvokeResponse:
    # botbuilder 4.17.1 under CloudAdapter cannot serialize on_adaptive_card_invoke's return value;
    # answering from on_invoke_activity with the schema model works.
    return InvokeResponse(status=200, body=AdaptiveCardInvokeResponse(status_code=200, type=CARD, value=card))


class _MessageResponse(Model):
    """AdaptiveCardInvokeResponse with a text value: botbuilder's model types `value` as an object only."""

    _attribute_map = {"status_code": {"key": "statusCode", "type": "int"}, "type": {"key": "type", "type": "str"},
                      "value": {"key": "value", "type": "str"}}

    def __init__(self, *, status_code: int, type: str, value: str, **kwargs: Any) -> None:  # noqa: A002 (wire name)
        super().__init__(**kwargs)
        self.status_code, self.type, self.value = status_code, type, value


def invoke_message(text: str) -> InvokeResponse:
    return InvokeResponse(status=200, body=_MessageResponse(status_code=200, type=MESSAGE, value=text[:500]))


def thread_of(turn_context: TurnContext) -> str:
    """The conversation a reply counts in: a channel's thread counts in its channel."""
    return (turn_context.activity.conversation.id or "").split(";messageid=")[0]


class Replies:
    """Sends in the turn's conversation, each send counted in the conversation's limiter (core.delivery.gate)."""

    def __init__(self, gate: Gate, typing_after: float = TYPING_AFTER):
        self.gate, self.typing_after = gate, typing_after

    async def send(self, turn_context: TurnContext, activity: Activity) -> str:
        """Send and return the activity id Teams gave it ("" if none). A 429 pauses the conversation and raises."""
        conversation = thread_of(turn_context)
        await self.gate.acquire(SEND, conversation)
        try:
            answer = await turn_context.send_activity(activity)
        except ErrorResponseException as error:
            if error.response is not None and error.response.status_code == THROTTLED:
                self.gate.throttled(SEND, conversation, _retry_after(error.response.headers))
            raise
        self.gate.succeeded(SEND, conversation)
        return getattr(answer, "id", "") or ""

    async def typing_while(self, turn_context: TurnContext, work: Awaitable[T]) -> T:
        """Await `work`; if it takes longer than a moment, show that RootMail is working on it."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.typing_after)
        while not done:
            try:
                await self.send(turn_context, Activity(type=ActivityTypes.typing))
            except Exception as error:  # decoration: the answer matters, not the dots
                logger.info("typing indicator not sent", extra={"error": type(error).__name__})
            done, _ = await asyncio.wait({task}, timeout=TYPING_EVERY)
        return task.result()
