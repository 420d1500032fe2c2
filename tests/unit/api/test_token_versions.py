"""The automation API takes the access tokens Entra ID really issues for its registration: v2.0 (aud its client id)
and v1.0 (the default for a registration; aud the client id or Application ID URI the client asked for, checked
against the v1.0 metadata). Sources: entra-docs access-tokens.md and access-token-claims-reference.md."""
from __future__ import annotations

import aiohttp
import pytest

from api.auth import Jwks, TokenRejected, TokenValidator, v1_metadata_url
from tests.fakes.jwks import API_CLIENT_ID, API_URI, PIPELINE_APP, PIPELINE_OID, TENANT_DOMAIN


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as client:
        yield client


def validator(session, tenant, audiences=(API_CLIENT_ID,), *, v1=True, metadata=None) -> TokenValidator:
    metadata = metadata or tenant.metadata_url
    return TokenValidator(Jwks(session, metadata, tenant.tenant_id), audiences, tenant.tenant_id,
                          v1=Jwks(session, v1_metadata_url(metadata), tenant.tenant_id) if v1 else None)


async def test_a_v2_token_carries_the_client_id_and_is_taken(session, tenant):
    tenant.api.access_token_accepted_version = 2

    caller = await validator(session, tenant).caller(f"Bearer {tenant.token()}")

    assert (caller.app_id, caller.object_id) == (PIPELINE_APP, PIPELINE_OID)


async def test_a_v1_token_of_a_default_registration_is_taken_against_the_v1_metadata(session, tenant):
    tenant.api.access_token_accepted_version = None  # what a new registration's manifest says

    caller = await validator(session, tenant).caller(f"Bearer {tenant.token(resource=API_CLIENT_ID)}")

    assert caller.app_id == PIPELINE_APP and caller.holds("RootMail.ReadWrite")
    assert f"/{tenant.tenant_id}/.well-known/openid-configuration" in tenant.requests


async def test_a_v1_token_asked_for_by_the_uri_needs_the_uri_in_the_audiences(session, tenant):
    tenant.api.access_token_accepted_version = 1
    token = f"Bearer {tenant.token(resource=API_URI)}"

    with pytest.raises(TokenRejected, match="another audience"):
        await validator(session, tenant).caller(token)
    assert (await validator(session, tenant, (API_CLIENT_ID, API_URI)).caller(token)).app_id == PIPELINE_APP


@pytest.mark.parametrize("make, reason", [
    (lambda t: t.token(version="1.0", issuer=t.issuer), "another tenant or authority"),  # a v1.0 ver, a v2.0 iss
    (lambda t: t.token(version="2.0", issuer=t.issuer_v1), "another tenant or authority"),
    (lambda t: t.token(ver="3.0"), "version 1.0 and 2.0"),
    (lambda t: t.token(ver=None), "version 1.0 and 2.0"),
    (lambda t: t.token(version="1.0", resource=API_CLIENT_ID, tid="00000000-0000-4000-8000-00000000dead"),
     "another tenant"),
])
async def test_tokens_mixing_or_missing_versions_are_refused(session, tenant, make, reason):
    with pytest.raises(TokenRejected, match=reason):
        await validator(session, tenant).caller(f"Bearer {make(tenant)}")


async def test_without_v1_metadata_v1_tokens_are_refused(session, tenant):
    with pytest.raises(TokenRejected, match="version 1.0 and 2.0"):
        await validator(session, tenant, v1=False).caller(f"Bearer {tenant.token(version='1.0')}")


async def test_metadata_asked_for_by_the_tenants_domain_still_checks_the_guid_issuer(session, tenant):
    by_domain = f"{tenant.url}/{TENANT_DOMAIN}/v2.0/.well-known/openid-configuration"

    checked = validator(session, tenant, metadata=by_domain)

    assert (await checked.caller(f"Bearer {tenant.token()}")).app_id == PIPELINE_APP
    v1 = tenant.token(version="1.0", resource=API_CLIENT_ID)
    assert (await checked.caller(f"Bearer {v1}")).app_id == PIPELINE_APP


def test_the_v1_metadata_is_the_v2_url_without_v2():
    assert v1_metadata_url("https://login.microsoftonline.us/t/v2.0/.well-known/openid-configuration") == (
        "https://login.microsoftonline.us/t/.well-known/openid-configuration")
