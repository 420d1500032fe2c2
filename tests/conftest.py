"""Shared fixtures: settings on a temporary SQLite file, Microsoft's login services (Entra ID, the Bot Framework), the
fake Bot Connectors and RootMail's bot identity: a single-tenant bot, as every Azure Bot created since 2025-07-31."""
from __future__ import annotations

import pytest
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor

from settings import load_settings
from tests.fakes.connector import FakeConnector
from tests.fakes.connector_auth import BotRegistration
from tests.fakes.jwks import FakeTenant
from tests.fakes.login import BOT_APP_ID, BOT_SECRET, MicrosoftLogin
from tests.fakes.serving import serving
from tests.fakes.teams_limits import TeamsLimitedConnector


@pytest.fixture
def make_settings(tmp_path, microsoft):
    def make(**env: str):
        base = {"ROOTMAIL_STORE": f"sqlite:///{tmp_path / 'rootmail.db'}", "ROOTMAIL_MAIL_SOURCE": "none",
                "ROOTMAIL_SMTP_PORT": "0", "ROOTMAIL_INSTANCE_ID": "test-1",
                "MicrosoftAppId": BOT_APP_ID, "MicrosoftAppPassword": BOT_SECRET,
                "MicrosoftAppTenantId": microsoft.tenants[0].tenant_id,
                # the fake Bot Connectors listen on loopback, where Teams' own hosts would be
                "ROOTMAIL_SERVICE_URL_HOSTS": "127.0.0.1"}
        return load_settings(base | env)
    return make


@pytest.fixture
async def tenant(aiohttp_server):
    """A local Entra tenant: OpenID metadata, JWKS and tokens for the automation API; the bot's home tenant too."""
    return await serving(aiohttp_server, FakeTenant())


@pytest.fixture
def microsoft(tenant):
    """login.microsoftonline.com and login.botframework.com, answered by the fakes while the test runs. botbuilder
    keeps the Bot Framework's keys in a class-wide cache: emptied, so no test sees another's keys."""
    login = MicrosoftLogin.for_bot(tenant)
    JwtTokenExtractor.metadataCache.clear()
    with login.intercepting():
        yield login
    JwtTokenExtractor.metadataCache.clear()


@pytest.fixture
def bot(microsoft):
    """RootMail's bot as the Bot Framework knows it."""
    home = microsoft.tenants[0]
    return BotRegistration(BOT_APP_ID, home.tenant_id, home.published, microsoft.channel)


@pytest.fixture
async def connector(aiohttp_server, bot):
    return await serving(aiohttp_server, FakeConnector(bot=bot))


@pytest.fixture
async def limited(aiohttp_server, bot):
    """A Bot Connector that enforces Teams' rate limits (429 with Retry-After)."""
    return await serving(aiohttp_server, TeamsLimitedConnector(bot=bot))
