"""The doctor's store checks: SQLite and Cosmos DB as the app opens them, the probe document, and every failure with
its fix. The doctor changes nothing but its own probe: no database, container or file is created."""
from __future__ import annotations

import socket
import uuid

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient

from doctor.report import FAILED, PASSED
from storage.cosmos.client import CosmosSettings, open_cosmos
from storage.sqlite import open_sqlite


async def test_a_working_sqlite_store_passes_and_the_probe_leaves_nothing_behind(diagnose, tmp_path):
    async with open_sqlite(tmp_path / "rootmail.db"):
        pass
    found = await diagnose(("store",))
    assert [f.status for f in found.of("store")] == [PASSED, PASSED], found.text()
    async with open_sqlite(tmp_path / "rootmail.db") as store:
        assert await store.flags_with_prefix("doctor-probe:", 10) == []


async def test_a_missing_sqlite_file_is_not_created(diagnose, tmp_path):
    found = await diagnose(("store",))
    assert found.one("store", "the SQLite file can be created").status == PASSED
    assert not (tmp_path / "rootmail.db").exists()


async def test_a_sqlite_file_in_a_folder_that_cannot_be_written_fails_with_the_setting_to_fix(diagnose, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    found = await diagnose(("store",), ROOTMAIL_STORE=f"sqlite:///{blocker}/rootmail.db")
    [finding] = found.of("store")
    assert finding.status == FAILED and "ROOTMAIL_STORE" in finding.fix


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cosmos_env(cosmos_server):
    return {"ROOTMAIL_STORE": "cosmos", "ROOTMAIL_COSMOS_ENDPOINT": cosmos_server.endpoint,
            "ROOTMAIL_COSMOS_KEY": cosmos_server.key, "ROOTMAIL_COSMOS_DATABASE": f"doctor-{uuid.uuid4().hex[:10]}"}


async def _databases(cosmos_server) -> set[str]:
    async with CosmosClient(cosmos_server.endpoint, cosmos_server.key) as client:
        return {d["id"] async for d in client.list_databases()}


@pytest.mark.cosmos
async def test_a_working_cosmos_store_passes_and_its_probe_is_deleted(diagnose, cosmos_server, cosmos_env):
    settings = CosmosSettings(cosmos_server.endpoint, cosmos_server.key, database=cosmos_env["ROOTMAIL_COSMOS_DATABASE"],
                              create_if_missing=True)
    async with open_cosmos(settings):
        pass
    try:
        found = await diagnose(("store",), **cosmos_env)
        assert [f.status for f in found.of("store")] == [PASSED, PASSED], found.text()
        async with open_cosmos(settings) as store:
            assert await store.flags_with_prefix("doctor-probe:", 10) == []
    finally:
        async with CosmosClient(cosmos_server.endpoint, cosmos_server.key) as client:
            await client.delete_database(settings.database)


@pytest.mark.cosmos
async def test_a_missing_database_fails_with_the_deployment_as_fix_and_is_not_created(diagnose, cosmos_server,
                                                                                      cosmos_env):
    found = await diagnose(("store",), ROOTMAIL_COSMOS_CREATE="true", **cosmos_env)
    [finding] = found.of("store")
    assert finding.status == FAILED and "does not exist" in finding.detail and "azd provision" in finding.fix
    assert cosmos_env["ROOTMAIL_COSMOS_DATABASE"] not in await _databases(cosmos_server)


@pytest.mark.cosmos
async def test_a_container_with_the_wrong_partition_key_fails_with_how_to_recreate_it(diagnose, cosmos_server,
                                                                                      cosmos_env):
    name = cosmos_env["ROOTMAIL_COSMOS_DATABASE"]
    async with CosmosClient(cosmos_server.endpoint, cosmos_server.key) as client:
        database = await client.create_database(name)
        try:
            await database.create_container("addresses", PartitionKey("/id"))
            found = await diagnose(("store",), **cosmos_env)
        finally:
            await client.delete_database(name)
    [finding] = found.of("store")
    assert finding.status == FAILED and "partitioned by ['/id']" in finding.detail
    assert "infra/cosmos-containers.json" in finding.fix


async def test_an_unreachable_cosmos_endpoint_fails_naming_the_endpoint_setting(diagnose):
    found = await diagnose(("store",), ROOTMAIL_STORE="cosmos", ROOTMAIL_COSMOS_KEY="a2V5",
                           ROOTMAIL_COSMOS_ENDPOINT=f"https://127.0.0.1:{closed_port()}/")
    [finding] = found.of("store")
    assert finding.status == FAILED and "ROOTMAIL_COSMOS_ENDPOINT" in finding.fix
