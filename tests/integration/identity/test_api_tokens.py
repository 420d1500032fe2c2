"""The automation API, configured as the README says (the API registration's client id), takes the tokens Entra ID
issues for either accessTokenAcceptedVersion, over HTTP."""
from __future__ import annotations

import pytest

from app import create_app
from tests.fakes.jwks import API_CLIENT_ID


@pytest.fixture
async def client(aiohttp_client, make_settings, tenant):
    settings = make_settings(ROOTMAIL_API_AUDIENCE=API_CLIENT_ID, ROOTMAIL_API_METADATA_URL=tenant.metadata_url)
    return await aiohttp_client(create_app(settings))


@pytest.mark.parametrize("accepted_version", [2, 1, None])
async def test_the_pipelines_token_is_taken_whatever_version_the_registration_issues(client, tenant, accepted_version):
    tenant.api.access_token_accepted_version = accepted_version
    token = tenant.token(roles=("RootMail.Read",), resource=API_CLIENT_ID)

    response = await client.get("/api/v1/addresses", headers={"Authorization": f"Bearer {token}"})

    assert response.status == 200, await response.text()


async def test_a_v2_token_for_another_api_is_still_refused(client, tenant):
    token = tenant.token(audience="00000000-0000-4000-8000-0000000000a9")

    response = await client.get("/api/v1/addresses", headers={"Authorization": f"Bearer {token}"})

    assert response.status == 401
