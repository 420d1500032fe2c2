"""Shared fixtures: settings on a temporary SQLite file, the fake Bot Connectors and Entra tenant, and RootMail itself."""
from __future__ import annotations

import pytest

from settings import load_settings
from tests.fakes.connector import FakeConnector
from tests.fakes.jwks import FakeTenant
from tests.fakes.serving import serving
from tests.fakes.teams_limits import TeamsLimitedConnector


@pytest.fixture
def make_settings(tmp_path):
    def make(**env: str):
        base = {"ROOTMAIL_STORE": f"sqlite:///{tmp_path / 'rootmail.db'}", "ROOTMAIL_MAIL_SOURCE": "none",
                "ROOTMAIL_SMTP_PORT": "0", "ROOTMAIL_INSTANCE_ID": "test-1"}
        return load_settings(base | env)
    return make


@pytest.fixture
async def connector(aiohttp_server):
    return await serving(aiohttp_server, FakeConnector())


@pytest.fixture
async def limited(aiohttp_server):
    """A Bot Connector that enforces Teams' rate limits (429 with Retry-After)."""
    return await serving(aiohttp_server, TeamsLimitedConnector())


@pytest.fixture
async def tenant(aiohttp_server):
    """A local Entra tenant: OpenID metadata, JWKS and tokens for the automation API."""
    return await serving(aiohttp_server, FakeTenant())
