"""Fixtures of the attack catalogue: RootMail as an attacker meets it, over HTTP, SMTP and its store."""
from __future__ import annotations

import pytest

from app import create_app
from tests.fakes import teams
from tests.fakes.connector import FakeConnector
from tests.fakes.jwks import AUDIENCE
from tests.fakes.serving import serving
from tests.integration.conftest import Harness
from tests.integration.test_api import Api


@pytest.fixture
async def api(aiohttp_client, connector, make_settings, tenant):
    """The automation API on the local Entra tenant; RootMail has been @mentioned in the Platform channel."""
    settings = make_settings(ROOTMAIL_API_AUDIENCE=AUDIENCE, ROOTMAIL_API_TENANT_ID=tenant.tenant_id,
                             ROOTMAIL_API_METADATA_URL=tenant.metadata_url,
                             ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id)
    client = await aiohttp_client(create_app(settings))
    harness = Api(client, tenant, Harness(client, connector))
    await harness.bot.say("help", teams.PLATFORM)
    return harness


@pytest.fixture
async def local_connector(aiohttp_server):
    """A Bot Connector with no bot registered, as the Agents Playground is: it signs nothing and checks no token."""
    return await serving(aiohttp_server, FakeConnector())


@pytest.fixture
async def unsigned(aiohttp_client, local_connector, make_settings):
    """`await unsigned(**env)`: RootMail as `make run` starts it, without MicrosoftAppId, on the fake Bot Connector;
    nothing vouches for who sends its activities."""
    connector = local_connector

    async def run(**env: str) -> Harness:
        no_app = {"MicrosoftAppId": "", "MicrosoftAppPassword": "", "MicrosoftAppTenantId": ""}
        settings = make_settings(**(no_app | {"ROOTMAIL_ADMIN_CONVERSATION": teams.PERSONAL.conversation_id} | env))
        return Harness(await aiohttp_client(create_app(settings)), connector)
    return run
