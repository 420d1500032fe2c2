"""The botbuilder CloudAdapter RootMail's turns run on, built from settings."""
from __future__ import annotations

import logging

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import AppCredentials

from settings import Settings

logger = logging.getLogger(__name__)


class _BotConfig:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings):
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.app_tenant_id


def bot_adapter(settings: Settings) -> CloudAdapter:
    _cheaper_client_construction()
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_BotConfig(settings)))
    adapter.on_turn_error = _on_turn_error
    return adapter


async def bot_credentials(adapter: CloudAdapter, app_id: str, service_url: str) -> AppCredentials:
    """The credentials botbuilder's own connector client would use to call `service_url` as this bot: app secret,
    certificate or managed identity, from the authority its app type and tenant name."""
    factory = adapter.bot_framework_authentication.create_connector_factory(adapter.create_claims_identity(app_id))
    client = await factory.create(service_url, None)
    return client.config.credentials


async def _on_turn_error(turn_context, error: Exception) -> None:
    logger.error("unhandled error in a turn", exc_info=error)


def _cheaper_client_construction() -> None:
    """botbuilder builds msrest clients for every turn and every call it makes for us (replies, Reveal's 1:1 chat),
    and each scans a 500-item list 999 times (msrest ClientRetryPolicy.safe_codes): 3 ms of CPU per client. The
    same codes as a frozenset answer the same membership tests in O(1)."""
    from msrest.universal_http.requests import ClientRetryPolicy

    if not isinstance(ClientRetryPolicy.safe_codes, frozenset):
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)
