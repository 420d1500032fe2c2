"""The `store` fixture: every contract test runs once per Store implementation (SQLite, Cosmos DB)."""
from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import pytest

from core.model import AddressState, InboundMail, MailState, Owner, Person, RootAddress
from core.ports import Store
from storage.sqlite import open_sqlite
from tests.cosmos_server import CosmosServer, cosmos_server  # noqa: F401  (session fixture)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
TEAM = Owner("19:platform@thread.tacv2", "Platform", "19:team@thread.tacv2", "Cloud", "tenant-1",
             {"serviceUrl": "https://smba.example/", "conversation": {"id": "19:platform@thread.tacv2"}})
OTHER_TEAM = Owner("19:payments@thread.tacv2", "Payments", "19:team-pay@thread.tacv2", "Payments", "tenant-1")
ALICE = Person("29:alice", "Alice", "aad-alice")


@pytest.fixture(params=["sqlite", pytest.param("cosmos", marks=pytest.mark.cosmos)])
async def store(request, tmp_path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        async with open_sqlite(tmp_path / "contract.db") as sqlite:
            yield sqlite
        return
    server: CosmosServer = request.getfixturevalue("cosmos_server")
    async with cosmos_test_store(server) as cosmos:
        yield cosmos


@asynccontextmanager
async def cosmos_test_store(server: CosmosServer, client_options: dict | None = None,
                            **settings_values) -> AsyncIterator[Store]:
    """A CosmosStore on its own fresh database, dropped afterwards, so tests never see each other's data."""
    from azure.cosmos.aio import CosmosClient

    from storage.cosmos.client import CosmosSettings, open_cosmos

    values = {"key": server.key, "database": f"contract-{uuid.uuid4().hex[:12]}", "create_if_missing": True}
    settings = CosmosSettings(endpoint=server.endpoint, **(values | settings_values))
    try:
        async with open_cosmos(settings, **(client_options or {})) as cosmos:
            yield cosmos
    finally:
        async with CosmosClient(server.endpoint, server.key) as client:
            await client.delete_database(settings.database)


def address(name: str = "aws+billing@example.com", *, owner: Owner = TEAM, account_name: str = "Billing Prod",
            account_id: str | None = None, request_id: str | None = None, at: datetime = T0,
            mailbox: str = "aws@example.com") -> RootAddress:
    return RootAddress(address=name, mailbox=mailbox, account_name=account_name, environment="production",
                       purpose="invoices", owner=owner, requester=ALICE, created_at=at, updated_at=at,
                       state=AddressState.ACTIVE, account_id=account_id, request_id=request_id)


def mail(key: str, *, to: str = "aws+billing@example.com", at: datetime = T0, state: MailState = MailState.RECEIVED,
         next_attempt_at: datetime | None = None, subject: str = "Your AWS verification code") -> InboundMail:
    return InboundMail(key=key, message_id=f"<{key}@amazonses.com>", address=to, sender="no-reply@aws.amazon.com",
                       subject=subject, received_at=at, preview="Verification code: 123456", state=state, size=2048,
                       next_attempt_at=next_attempt_at if next_attempt_at is not None else at)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
