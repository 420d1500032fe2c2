"""storage.factory.open_store: the configured store opens, works and closes."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from azure.cosmos.aio import CosmosClient

from core.errors import StoreUnavailable
from storage.factory import open_store, sqlite_path
from tests.contract.conftest import address


@dataclass
class AppSettings:
    store_url: str
    cosmos_endpoint: str = ""
    cosmos_key: str = ""
    cosmos_database: str = "rootmail"
    cosmos_create: bool = False


async def test_a_sqlite_url_opens_a_file_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'var' / 'rootmail.db'}"
    async with open_store(url) as store:
        await store.create_address(address())

    async with open_store(AppSettings(url)) as again:
        assert (await again.get_address("aws+billing@example.com")).account_name == "Billing Prod"


def test_sqlite_paths_follow_the_url_convention(tmp_path):
    assert str(sqlite_path("sqlite:///var/rootmail.db", tmp_path)) == str(tmp_path / "var" / "rootmail.db")
    assert str(sqlite_path("sqlite:////srv/rootmail.db", tmp_path)) == "/srv/rootmail.db"
    with pytest.raises(ValueError):
        sqlite_path("postgres://x")


async def test_cosmos_needs_its_settings():
    with pytest.raises(ValueError, match="needs its settings"):
        async with open_store("cosmos"):
            pass


@pytest.mark.cosmos
async def test_the_apps_cosmos_settings_open_a_cosmos_store(cosmos_server):
    settings = AppSettings("cosmos", cosmos_server.endpoint, cosmos_server.key, f"factory-{uuid.uuid4().hex[:8]}",
                           cosmos_create=True)
    try:
        async with open_store(settings) as store:
            await store.create_address(address())
            assert await store.count_addresses() == 1
    finally:
        async with CosmosClient(cosmos_server.endpoint, cosmos_server.key) as client:
            await client.delete_database(settings.cosmos_database)


@pytest.mark.cosmos
async def test_without_create_a_missing_container_stops_the_start_with_a_clear_message(cosmos_server):
    settings = AppSettings("cosmos", cosmos_server.endpoint, cosmos_server.key, "never-created")

    with pytest.raises(StoreUnavailable, match="does not exist"):
        async with open_store(settings):
            pass
