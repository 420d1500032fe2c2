"""Proactive posts into a stored conversation through the Bot Connector REST API, with failures made explicit.

Forwarded mail is RootMail's hot path: every mail is one proactive post. Going through botbuilder's
`continue_conversation` + `send_activity` cost ~2 ms of CPU per post (a fresh msrest ConnectorClient per post, a deep
copy of the activity, and msrest's reflective serializer walking the whole card), about 40 % of a forwarded mail's
CPU. So posts are sent here the way that pipeline sends them on the wire — the same Bot Connector operation
(`POST {serviceUrl}/v3/conversations/{conversationId}/activities`, "send to conversation", the documented call for a
proactive message), the same activity JSON, the same bearer token — with one pooled aiohttp session and the JSON
encoded once. botbuilder still provides the credentials (`ConfigurationBotFrameworkAuthentication`: app secret,
certificate or managed identity, single or multi tenant) and handles every user turn.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote

import aiohttp
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botframework.connector.auth import AppCredentials, AuthenticationConstants
from yarl import URL

from bot.adapter import bot_credentials
from bot.service_urls import ServiceUrls
from core.delivery.gate import SEND, Gate
from core.model import Owner
from core.ports import PostFailed

logger = logging.getLogger(__name__)

RETRYABLE = {408, 412, 429, 500, 502, 503, 504}
THROTTLED = 429
TOKEN_REFUSED = 401  # retryable here: the token is fetched again for the next attempt
TOKEN_REUSE_SECONDS = 300.0  # ask the credentials again after this; MSAL renews a token well before it expires
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
USER_AGENT = "RootMail (BotBuilder Python)"


def _retry_after(headers: Any) -> float | None:
    try:
        return float(headers.get("Retry-After")) if headers and headers.get("Retry-After") else None
    except (TypeError, ValueError):
        return None


def card_activity(reference: dict[str, Any], card: dict[str, Any], summary: str, urgent: bool = False) -> dict[str, Any]:
    """The message activity botbuilder's TurnContext.send_activity would send for this stored reference:
    the bot as sender, the reference's user as recipient, the conversation, channel and service URL.

    Urgent (critical mail): `importance` "high", the highest the Bot Framework Activity schema defines (low, normal,
    high; Teams' "urgent" is documented for Graph chat messages, not for bots, so it is not sent), and
    `channelData.notification.alert`, which raises a notification in each member's activity feed (msteams-docs
    bots/how-to/conversations/conversation-messages.md, "Notifications to your message")."""
    activity = {"type": "message", "serviceUrl": reference.get("serviceUrl"), "channelId": reference.get("channelId"),
                "from": reference.get("bot"), "conversation": reference.get("conversation"),
                "recipient": reference.get("user"), "summary": summary,
                "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}]}
    if reference.get("locale"):
        activity["locale"] = reference["locale"]
    if urgent:
        activity |= {"importance": "high", "channelData": {"notification": {"alert": True}}}
    return {k: v for k, v in activity.items() if v is not None}


async def dressed(audience: Any, owner: Owner, card: dict[str, Any]) -> dict[str, Any]:
    """The card as the audience completes it (refresh.userIds); as built when that fails (names and rosters must
    never stop a post)."""
    if audience is None:
        return card
    try:
        return await audience.dress(owner, card)
    except Exception as error:
        logger.warning("could not complete a card's audience", extra={"error": type(error).__name__})
        return card


@dataclass
class _Token:
    """botbuilder's credentials for one service URL, and the bearer token last fetched from them."""

    credentials: AppCredentials
    value: str = ""
    fetched: float = float("-inf")


class BotPoster:
    """Implements core.ports.Poster: one Bot Connector call per post, over one pooled HTTP session."""

    def __init__(self, adapter: CloudAdapterBase, app_id: str, timeout: float = 15.0, *,
                 http: Callable[[], aiohttp.ClientSession] | None = None, service_urls: ServiceUrls | None = None):
        """`http` gives the app's shared session; without it the poster opens (and `close`s) its own."""
        self._adapter, self._app_id, self._timeout, self._shared = adapter, app_id, timeout, http
        self._urls = service_urls or ServiceUrls(bool(app_id))
        self._session: aiohttp.ClientSession | None = None
        self._tokens: dict[str, _Token] = {}  # by service URL, as botbuilder's connector factory makes credentials
        self.audience: Any = None  # bot.audience.Audience: who a card refreshes for, whom critical mail calls
        self.gate: Gate | None = None  # counts the calls to critical mail (posts are counted by the lanes)

    async def post(self, owner: Owner, card: dict[str, Any], summary: str, urgent: bool = False) -> str:
        reference = owner.reference or {}
        service_url, conversation = reference.get("serviceUrl"), (reference.get("conversation") or {}).get("id")
        if not service_url or not conversation:
            raise PostFailed(f"no conversation reference stored for {owner.conversation_id}", permanent=True)
        if not self._urls.allowed(service_url):
            raise PostFailed(f"the service URL stored for {owner.conversation_id} is not a Bot Connector RootMail "
                             "calls (bot.service_urls)", permanent=True)
        card = await dressed(self.audience, owner, card)
        posted = await self._send(service_url, conversation, card_activity(reference, card, summary[:120], urgent))
        if urgent and posted and self.audience is not None:
            await self._call(owner, reference, service_url, f"{conversation};messageid={posted}")
        return posted

    async def _call(self, owner: Owner, reference: dict[str, Any], service_url: str, thread: str) -> None:
        """Critical mail: the people who should act are @mentioned in a reply to its card. The card is posted
        whatever happens here."""
        try:
            message = await self.audience.call(owner)
            if message is None:
                return
            if self.gate is not None:  # a send of its own in the conversation's windows
                await self.gate.acquire(SEND, owner.conversation_id)
            activity = {**card_activity(reference, {}, "Critical AWS root mail"), **message}
            del activity["attachments"]
            activity["conversation"] = {**(reference.get("conversation") or {}), "id": thread}
            await self._send(service_url, thread, activity)
        except Exception as error:
            logger.warning("could not call the owners to a critical mail", extra={"error": type(error).__name__})

    async def _send(self, service_url: str, conversation: str, activity: dict[str, Any]) -> str:
        """POST {serviceUrl}/v3/conversations/{id}/activities; the new activity's id, or PostFailed."""
        # encoded=True: sent as botbuilder sends it (every reserved character of the id percent-encoded); yarl
        # would otherwise decode ':', '@', ';' and '='
        url = URL(f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation, safe='')}/activities",
                  encoded=True)
        body = json.dumps(activity, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
                   "x-ms-conversation-id": conversation}
        try:
            if token := await self._token(service_url):
                headers["Authorization"] = f"Bearer {token}"
            async with self._http().post(url, data=body, headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=self._timeout)) as response:
                text = await response.text()
                status, retry_after = response.status, _retry_after(response.headers)
        except asyncio.TimeoutError:  # the post may have arrived all the same
            raise PostFailed(f"Bot Connector did not answer within {self._timeout:g} s", uncertain=True) from None
        except (aiohttp.ClientError, OSError) as error:
            raise PostFailed(f"Bot Connector unreachable: {type(error).__name__}") from None
        except Exception as error:  # the credentials (Entra ID) failed, or anything unforeseen: never lose the mail
            logger.warning("posting failed", extra={"error": type(error).__name__})
            raise PostFailed(f"posting failed: {type(error).__name__}") from None
        if status == TOKEN_REFUSED and (token := self._tokens.get(service_url)):
            token.fetched = float("-inf")
        if status >= 300:
            raise PostFailed(f"Bot Connector answered {status}", retry_after,
                             permanent=status not in RETRYABLE and status != TOKEN_REFUSED,
                             throttled=status == THROTTLED)
        try:
            return str(json.loads(text).get("id") or "") if text else ""
        except (ValueError, AttributeError):
            return ""  # accepted (2xx) without a readable id: posted all the same

    def _http(self) -> aiohttp.ClientSession:
        if self._shared is not None:
            return self._shared()
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        return self._session

    async def _token(self, service_url: str) -> str | None:
        """The bearer token botbuilder's own connector client would send; None without an app id (local runs)."""
        if not self._app_id or self._app_id == AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
            return None
        token = self._tokens.get(service_url)
        if token is None:
            credentials = await bot_credentials(self._adapter, self._app_id, service_url)
            token = self._tokens[service_url] = _Token(credentials)
        if time.monotonic() - token.fetched >= TOKEN_REUSE_SECONDS:
            # MSAL may go to Entra ID: not on the loop
            token.value = await asyncio.to_thread(token.credentials.get_access_token)
            token.fetched = time.monotonic()
        return token.value

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
