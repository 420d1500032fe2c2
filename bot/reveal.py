"""core.intake.reveal.Messenger on the Bot Connector: a 1:1 chat with the person who revealed, and card updates."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from botbuilder.core import TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.schema import ChannelAccount, ConversationParameters, ConversationReference, ErrorResponseException

from bot.activity_bot import card_message
from bot.poster import RETRYABLE, _retry_after
from bot.service_urls import ServiceUrls
from core.model import Owner, Person
from core.ports import PostFailed

logger = logging.getLogger(__name__)


class TeamsMessenger:
    def __init__(self, adapter: CloudAdapterBase, app_id: str, timeout: float = 15.0,
                 service_urls: ServiceUrls | None = None):
        self._urls = service_urls or ServiceUrls(bool(app_id))
        self._adapter, self._app_id, self._timeout = adapter, app_id, timeout

    async def send_private(self, person: Person, where: Owner, card: dict[str, Any], summary: str) -> None:
        """Create (or, as Teams does for the same user, find) the bot's 1:1 chat with the person and post there."""
        reference = ConversationReference().deserialize(where.reference or {})
        if not reference.service_url or not person.id:
            raise PostFailed("no service URL or user id to open a private chat with", permanent=True)
        self._check(reference.service_url)
        tenant = where.tenant_id or None
        parameters = ConversationParameters(
            is_group=False, bot=reference.bot, members=[ChannelAccount(id=person.id)], tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None)

        async def send(turn_context: TurnContext) -> None:
            await turn_context.send_activity(card_message(card, summary[:120]))

        await self._run(lambda callback: self._adapter.create_conversation(
            self._app_id or None, callback, parameters, reference.channel_id or "msteams", reference.service_url),
            send)

    async def update(self, owner: Owner, activity_id: str, card: dict[str, Any], summary: str) -> None:
        if not owner.reference or not activity_id:
            raise PostFailed("nothing to update: no conversation reference or activity id", permanent=True)
        reference = ConversationReference().deserialize(owner.reference)
        self._check(reference.service_url)

        async def replace(turn_context: TurnContext) -> None:
            activity = card_message(card, summary[:120])
            activity.id = activity_id
            await turn_context.update_activity(activity)

        await self._run(lambda callback: self._adapter.continue_conversation(reference, callback,
                                                                             self._app_id or None), replace)

    def _check(self, service_url: str | None) -> None:
        if not self._urls.allowed(service_url):
            raise PostFailed("the stored service URL is not a Bot Connector RootMail calls", permanent=True)

    async def _run(self, start: Callable[[Callable], Awaitable[Any]], work: Callable[[TurnContext], Awaitable]) -> None:
        """Run `work` in a proactive turn; the adapter would hand its exceptions to on_turn_error and swallow
        them, so they are kept and translated into PostFailed here."""
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
            headers = error.response.headers if error.response is not None else None
            raise PostFailed(f"Bot Connector answered {status}", _retry_after(headers),
                             permanent=status not in RETRYABLE) from None
        except asyncio.TimeoutError:
            raise PostFailed(f"Bot Connector did not answer within {self._timeout:g} s") from None
        except Exception as error:
            raise PostFailed(f"Bot Connector call failed: {type(error).__name__}") from None
        if not done:
            raise PostFailed("the Bot Connector accepted nothing")
