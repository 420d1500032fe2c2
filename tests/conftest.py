"""Shared fixtures: settings on a temporary SQLite file, the fake Bot Connector, and RootMail itself."""
from __future__ import annotations

import pytest

from settings import load_settings
from tests.fakes.connector import FakeConnector


@pytest.fixture
def make_settings(tmp_path):
    def make(**env: str):
        base = {"ROOTMAIL_STORE": f"sqlite:///{tmp_path / 'rootmail.db'}", "ROOTMAIL_MAIL_SOURCE": "none",
                "ROOTMAIL_SMTP_PORT": "0", "ROOTMAIL_INSTANCE_ID": "test-1"}
        return load_settings(base | env)
    return make


@pytest.fixture
async def connector(aiohttp_server):
    fake = FakeConnector()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    return fake
