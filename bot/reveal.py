"""core.intake.reveal.Messenger on the Bot Connector: a 1:1 chat with the person who revealed, and card updates."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from botbuilder.core import TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.schema import ChannelAccount, ConversationParameters, ConversationReference, ErrorResponseException

from bot.replies import card_message
from bot.poster import RETRYABLE, THROTTLED, _retry_after, dressed
from bot.service_urls import ServiceUrls
from core.delivery.gate import CREATE, SEND, Gate
from core.model import Owner, Person
from core.ports import PostFailed

logger = logging.getLogger(__name__)


NOT_REACHABLE = {400, 403, 404}  # opening or writing to a 1:1 chat: the app is not installed for the person, or blocked


def private_chat_key(person: Person) -> str:
    """The 1:1 thread's key in the gate: its conversation id is only known once Teams created it."""
    return f"1:1:{person.id}"


class TeamsMessenger:
    def __init__(self, adapter: CloudAdapterBase, app_id: str, timeout: float = 15.0, gate: Gate | None = None,
                 service_urls: ServiceUrls | None = None):
        self._adapter, self._app_id, self._timeout = adapter, app_id, timeout
        self._urls = service_urls or ServiceUrls(bool(app_id))
        self._gate = gate or Gate()
        self.audience: Any = None  # bot.audience.Audience: who an edited card refreshes for; None: as built

    async def send_private(self, person: Person, where: Owner, card: dict[str, Any], summary: str) -> str:
        """Create (or, as Teams does for the same user, find) the bot's 1:1 chat with the person and post there.
        Returns "<conversation id>|<activity id>" of the post, so it can be updated later. Teams opens the chat
        only when the person has the app installed (send-proactive-messages.md); otherwise 403
        BotNotInConversationRoster, which is PostFailed(unreachable=True): only the person or an admin can fix it."""
        reference = ConversationReference().deserialize(where.reference or {})
        if not reference.service_url or not person.id:
            raise PostFailed("no service URL or user id to open a private chat with", permanent=True)
        self._check(reference.service_url)
        tenant = where.tenant_id or None
        parameters = ConversationParameters(
            is_group=False, bot=reference.bot, members=[ChannelAccount(id=person.id)], tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None)

        posted: list[str] = []

        async def send(turn_context: TurnContext) -> None:
            answer = await turn_context.send_activity(card_message(card, summary[:120]))
            posted.append(f"{turn_context.activity.conversation.id}|{getattr(answer, 'id', '') or ''}")

        thread = private_chat_key(person)
        await self._gate.acquire(CREATE, thread)
        await self._gate.acquire(SEND, thread)
        await self._run(lambda callback: self._adapter.create_conversation(
            self._app_id or None, callback, parameters, reference.channel_id or "msteams", reference.service_url),
            send, (CREATE, thread), NOT_REACHABLE)
        return posted[0] if posted else ""

    async def update(self, owner: Owner, activity_id: str, card: dict[str, Any], summary: str) -> None:
        if not owner.reference or not activity_id:
            raise PostFailed("nothing to update: no conversation reference or activity id", permanent=True)
        reference = ConversationReference().deserialize(owner.reference)
        self._check(reference.service_url)
        card = await dressed(self.audience, owner, card)

        async def replace(turn_context: TurnContext) -> None:
            activity = card_message(card, summary[:120])
            activity.id = activity_id
            await turn_context.update_activity(activity)

        await self._gate.acquire(SEND, owner.conversation_id)  # an update counts as a send (rate-limit.md)
        await self._run(lambda callback: self._adapter.continue_conversation(reference, callback,
                                                                             self._app_id or None),
                        replace, (SEND, owner.conversation_id))

    def _check(self, service_url: str | None) -> None:
        if not self._urls.allowed(service_url):
            raise PostFailed("the stored service URL is not a Bot Connector RootMail calls", permanent=True)

    async def _run(self, start: Callable[[Callable], Awaitable[Any]], work: Callable[[TurnContext], Awaitable],
                   counted: tuple[str, str], unreachable: frozenset[int] | set[int] = frozenset()) -> None:
        """Run `work` in a proactive turn; the adapter would hand its exceptions to on_turn_error and swallow
        them, so they are kept and translated into PostFailed here. A 429 pauses `counted` (kind, thread)."""
        failed: list[BaseException] = []
        done: list[bool] = []

        async def callback(turn_context: TurnContext) -> None:
            try:
                await work(turn_context)
                done.append(True)
            except Exception as error:
                failed.append(error)

        try:
            await asyncio.wait_for(start(callback), self._timeout)
            if failed:
                raise failed[0]
        except ErrorResponseException as error:
            status = error.response.status_code if error.response is not None else 0
            retry_after = _retry_after(error.response.headers if error.response is not None else None)
            if status == THROTTLED:
                self._gate.throttled(*counted, retry_after)
            raise PostFailed(f"Bot Connector answered {status}", retry_after, permanent=status not in RETRYABLE,
                             throttled=status == THROTTLED, unreachable=status in unreachable) from None
        except asyncio.TimeoutError:
            raise PostFailed(f"Bot Connector did not answer within {self._timeout:g} s") from None
        except Exception as error:
            raise PostFailed(f"Bot Connector call failed: {type(error).__name__}") from None
        if not done:
            raise PostFailed("the Bot Connector accepted nothing")
        self._gate.succeeded(*counted)
