"""The botbuilder CloudAdapter RootMail's turns run on, built from settings."""
from __future__ import annotations

import logging

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from settings import Settings

logger = logging.getLogger(__name__)


class _BotConfig:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings):
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        # without an app id botbuilder runs unauthenticated (local runs, the Playground); only its password factory,
        # which it builds for MultiTenant, allows that: the single-tenant ones insist on an app id
        self.APP_TYPE = settings.app_type if settings.app_id else "MultiTenant"
        self.APP_TENANTID = settings.app_tenant_id


def bot_adapter(settings: Settings) -> CloudAdapter:
    _cheaper_client_construction()
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_BotConfig(settings)))
    adapter.on_turn_error = _on_turn_error
    return adapter


async def _on_turn_error(turn_context, error: Exception) -> None:
    logger.error("unhandled error in a turn", exc_info=error)


def _cheaper_client_construction() -> None:
    """botbuilder builds msrest clients for every turn and every call it makes for us (replies, Reveal's 1:1 chat),
    and each scans a 500-item list 999 times (msrest ClientRetryPolicy.safe_codes): 3 ms of CPU per client. The
    same codes as a frozenset answer the same membership tests in O(1)."""
    from msrest.universal_http.requests import ClientRetryPolicy

    if not isinstance(ClientRetryPolicy.safe_codes, frozenset):
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)
