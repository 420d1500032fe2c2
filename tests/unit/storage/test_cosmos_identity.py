"""Cosmos DB without a key signs in as RootMail's user-assigned managed identity, named by its client id: on Container
Apps azure-identity must be told which user-assigned identity to use
(https://learn.microsoft.com/azure/container-apps/managed-identity, "Connect to Azure services in app code")."""
from __future__ import annotations

import pytest

from core.errors import StoreUnavailable
from settings import load_settings
from storage.cosmos.client import open_cosmos
from storage.factory import cosmos_settings

CLIENT_ID = "99999999-8888-7777-6666-555555555555"


class _Recorder:
    made: list[dict] = []

    def __init__(self, **options):
        self.made.append(options)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None

    async def close(self):
        return None

    async def get_token(self, *scopes, **options):
        from azure.core.exceptions import ClientAuthenticationError
        raise ClientAuthenticationError("no identity here")


async def test_the_managed_identity_client_id_reaches_the_credential(monkeypatch):
    import azure.identity.aio
    monkeypatch.setattr(azure.identity.aio, "DefaultAzureCredential", _Recorder)
    _Recorder.made.clear()
    settings = cosmos_settings(load_settings({"ROOTMAIL_STORE": "cosmos",
                                              "ROOTMAIL_COSMOS_ENDPOINT": "https://127.0.0.1:9/",
                                              "ROOTMAIL_MANAGED_IDENTITY_CLIENT_ID": CLIENT_ID}), timeout=2.0)

    with pytest.raises(StoreUnavailable):
        async with open_cosmos(settings):
            pass

    assert settings.key == "" and _Recorder.made == [{"managed_identity_client_id": CLIENT_ID}]
