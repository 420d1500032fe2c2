"""Proactive posts into a stored conversation through the Bot Connector, with failures made explicit."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.schema import ConversationReference, ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.activity_bot import card_message
from core.model import Owner
from core.ports import PostFailed

logger = logging.getLogger(__name__)

RETRYABLE = {408, 412, 429, 500, 502, 503, 504}


def _retry_after(headers: Any) -> float | None:
    try:
        return float(headers.get("Retry-After")) if headers and headers.get("Retry-After") else None
    except (TypeError, ValueError):
        return None


def _cheaper_client_construction() -> None:
    """botbuilder builds two msrest clients for every proactive post, and each scans a 500-item list 999 times
    (msrest ClientRetryPolicy.safe_codes): 3 ms of CPU per client, most of a post's cost. The same codes as a
    frozenset answer the same membership tests in O(1)."""
    from msrest.universal_http.requests import ClientRetryPolicy

    if not isinstance(ClientRetryPolicy.safe_codes, frozenset):
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)


class BotPoster:
    """Implements core.ports.Poster on a botbuilder CloudAdapter."""

    def __init__(self, adapter: CloudAdapterBase, app_id: str, timeout: float = 15.0):
        self._adapter, self._app_id, self._timeout = adapter, app_id, timeout
        _cheaper_client_construction()

    async def post(self, owner: Owner, card: dict[str, Any], summary: str) -> str:
        if not owner.reference:
            raise PostFailed(f"no conversation reference stored for {owner.conversation_id}", permanent=True)
        reference = ConversationReference().deserialize(owner.reference)
        sent: list[str] = []
        failed: list[BaseException] = []

        async def send(turn_context: TurnContext) -> None:
            # The adapter hands exceptions raised here to on_turn_error and swallows them, so a failed post
            # would look like a success: keep the failure and raise it after the turn.
            try:
                response = await turn_context.send_activity(card_message(card, summary[:120]))
            except Exception as error:  # translated below
                failed.append(error)
                return
            sent.append(response.id if response and response.id else "")

        try:
            await asyncio.wait_for(
                self._adapter.continue_conversation(reference, send, self._app_id or None), self._timeout)
            if failed:
                raise failed[0]
        except ErrorResponseException as error:
            status = error.response.status_code if error.response is not None else 0
            headers = error.response.headers if error.response is not None else None
            raise PostFailed(f"Bot Connector answered {status}", _retry_after(headers),
                             permanent=status not in RETRYABLE) from None
        except asyncio.TimeoutError:  # the post may have arrived all the same
            raise PostFailed(f"Bot Connector did not answer within {self._timeout:g} s", uncertain=True) from None
        except (ClientRequestError, OSError) as error:
            raise PostFailed(f"Bot Connector unreachable: {type(error).__name__}") from None
        except Exception as error:
            raise PostFailed(f"posting failed: {type(error).__name__}") from None
        if not sent:
            raise PostFailed("the Bot Connector accepted nothing")
        return sent[0]
