"""RootMail's ActivityHandler: messages, card actions (Action.Execute, Action.Submit), the message extension.

Where an answer goes (Universal Actions, msteams-docs Work-with-Universal-Actions-for-Adaptive-Cards.md): a button
that changes its own card (the form's submit, a list's next page, Link or Retire on the address card, a transfer
decision, Refresh) answers with the new card in place, and RootMail edits the posted card for everyone; any other
button (Look up, View full mail, Help on a mail card or a welcome card) answers beside it, as a reply in its thread,
and leaves the card as it was; a refusal is told to the presser alone.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any

from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.schema import ChannelAccount, InvokeResponse

import cards
from bot import extension
from bot.channel_names import ChannelNames
from bot.handlers import run_action, run_command
from bot.poster import dressed
from bot.replies import Replies, card_message, invoke_card, invoke_message
from bot.service_urls import ServiceUrls
from bot.services import Services
from bot.turn import Answer, addressed_to_rootmail, command_text, owner_of, turn_of
from cards.elements import REFRESH
from cards.protection import refusal_card
from cards.status import unavailable_card
from core.delivery.gate import Gate
from core.errors import Forbidden, RootMailError, StoreUnavailable
from core.model import Owner
from core.trace import correlation_id

logger = logging.getLogger(__name__)

OWNER = "rootmail.owner"  # turn_state keys
NEW_CONVERSATION = "rootmail.new_conversation"
# Buttons that change the card they are on; every other button answers beside its card.
IN_PLACE = frozenset({"new.submit", "list.page", "transfer.approve", "transfer.decline", "adopt.start", REFRESH,
                      "root.request", "root.approve", "root.decline", "root.status"})
OWN_CARD_VIEWS = frozenset({"address", "confirm"})  # Link and Retire pressed on the address card or the question


class RootMailBot(ActivityHandler):
    def __init__(self, services: Services, gate: Gate | None = None, service_urls: ServiceUrls | None = None):
        self._services, self._urls = services, service_urls or ServiceUrls(False)
        self._names = ChannelNames(gate)
        self._replies = Replies(gate or Gate())
        self._known_conversations: set[str] = set()

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if not addressed_to_rootmail(activity):
            return  # RSC delivers every message of the channel or chat; this one is not for RootMail
        correlation_id.set(f"turn:{activity.id or uuid.uuid4().hex[:12]}")  # the adapter runs each turn in its own task
        if not self._urls.allowed(activity.service_url):  # no reply, nothing remembered (bot.service_urls)
            logger.warning("activity from a Bot Connector RootMail does not call ignored")
            return
        owner = owner_of(activity)
        if activity.service_url and self._services.access.tenant_allowed(owner.tenant_id):  # else: refused, unrecorded
            owner = await self._names.resolve(turn_context, owner)
            try:
                turn_context.turn_state[NEW_CONVERSATION] = await self._remember(owner)
                await self._met(turn_context, owner)
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

    async def _met(self, turn_context: TurnContext, owner: Owner) -> None:
        people = self._services.people
        sender = turn_context.activity.from_property
        if people is not None and sender is not None and turn_context.activity.type in ("message", "invoke"):
            await people.met(turn_of(turn_context.activity, owner).person, owner.conversation_id)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        owner = turn_context.turn_state[OWNER]
        value = activity.value if isinstance(activity.value, dict) else None
        if value and value.get("rootmail"):  # Action.Submit from a client without Action.Execute
            work = self._guarded(run_action, turn_of(activity, owner, data=value), str(value["rootmail"]))
        else:
            work = self._guarded(run_command, turn_of(activity, owner, text=command_text(activity)))
        answer = await self._replies.typing_while(turn_context, work)
        if answer.card is not None:
            await self._post(turn_context, owner, answer)
        elif answer.message:
            await self._replies.send(turn_context, MessageFactory.text(answer.message))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        owner = turn_context.turn_state[OWNER]
        if activity.name in extension.INVOKES:
            return await extension.answer(self._services, turn_of(activity, owner), activity.name,
                                          activity.value if isinstance(activity.value, dict) else {})
        if activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        action = (activity.value or {}).get("action") or {} if isinstance(activity.value, dict) else {}
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        verb = str(action.get("verb") or data.get("rootmail") or "")
        turn = turn_of(activity, owner, data=data)
        answer = await self._guarded(run_action, turn, verb)
        if answer.refusal or answer.card is None:
            return invoke_message(answer.message or "Done.")
        if verb in IN_PLACE or data.get("view") in OWN_CARD_VIEWS:
            if answer.track and turn.reply_to and verb != REFRESH:  # everyone's copy of the card changes too
                await self._track(owner, turn.reply_to, answer.track, edit=True)
            return invoke_card(await self._dress(owner, answer.card))
        await self._post(turn_context, owner, answer)
        return invoke_message(answer.message or "RootMail answered below.")

    async def _post(self, turn_context: TurnContext, owner: Owner, answer: Answer) -> None:
        """A card as a reply in this conversation (a thread's reply in a channel); remembered if it is kept current."""
        posted = await self._replies.send(turn_context, card_message(await self._dress(owner, answer.card)))
        if answer.track and posted:
            await self._track(owner, posted, answer.track)

    async def _track(self, owner: Owner, activity_id: str, view: dict[str, Any], edit: bool = False) -> None:
        updates = self._services.updates
        if updates is None or not view.get("address"):
            return
        await updates.remember(str(view["address"]), owner.conversation_id, activity_id, view)
        if edit:  # one round for all of the address's cards, after any round a change already started
            updates.changed(str(view["address"]))

    async def _dress(self, owner: Owner, card: dict[str, Any]) -> dict[str, Any]:
        audience = self._services.audience
        return await dressed(audience, owner, card)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext):
        # Clients repeat "bot added" each time a conversation is opened; welcome a conversation only once.
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if turn_context.turn_state.get(NEW_CONVERSATION) and any(member.id == bot_id for member in members_added):
            await self._replies.send(turn_context, card_message(cards.welcome_card(), "Welcome to RootMail"))

    async def _guarded(self, handler, *args: Any) -> Answer:
        """Every failure becomes a friendly answer; unexpected ones are logged with a reference id."""
        try:
            result = await handler(self._services, *args)
        except StoreUnavailable as away:
            logger.warning("store unavailable during a turn", extra={"reason": str(away)[:200]})
            card = unavailable_card(self._services.readiness and self._services.readiness.get("store"))
            return Answer(card, message="RootMail cannot reach its store. Nothing was changed.", refusal=True)
        except Forbidden as refused:  # already audited where it was decided
            return Answer(refusal_card("Not allowed", str(refused)), message=f"Not allowed. {refused}", refusal=True)
        except RootMailError as error:
            return _error("That did not work", str(error))
        except Exception:
            reference = uuid.uuid4().hex[:8]
            logger.exception("turn failed", extra={"error_ref": reference})
            return _error("Something went wrong",
                          f"Nothing was lost. If it happens again, give an admin this reference: {reference}.")
        return result if isinstance(result, Answer) else Answer(result)


def _error(title: str, text: str) -> Answer:
    return Answer(cards.error_card(title, text), message=f"{title}. {text}", refusal=True)
