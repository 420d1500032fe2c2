"""Entra ID token validation against a local tenant whose keys are generated at test time."""
from __future__ import annotations

import asyncio

import aiohttp
import jwt
import pytest

from api.auth import READ, READ_WRITE, Jwks, KeysUnavailable, TokenRejected, TokenValidator
from tests.fakes.jwks import AUDIENCE, PIPELINE_APP, PIPELINE_OID, SigningKey


class Ticks:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def ticks():
    return Ticks()


@pytest.fixture
def validator(tenant, session, ticks):
    jwks = Jwks(session, tenant.metadata_url, tenant.tenant_id, min_refresh=300, max_age=3600, monotonic=ticks)
    return TokenValidator(jwks, (AUDIENCE,), tenant.tenant_id)


async def rejected(validator, token: str) -> str:
    with pytest.raises(TokenRejected) as error:
        await validator.caller(f"Bearer {token}")
    return str(error.value)


async def test_a_good_app_token_names_the_pipeline_and_its_roles(validator, tenant):
    caller = await validator.caller(f"Bearer {tenant.token(roles=(READ,))}")

    assert caller.roles == {READ} and caller.holds(READ) and not caller.holds(READ_WRITE)
    assert caller.person.id == f"app:{PIPELINE_APP}" and caller.person.aad_object_id == PIPELINE_OID


async def test_read_write_implies_read_and_a_user_token_is_recorded_by_object_id(validator, tenant):
    caller = await validator.caller(f"Bearer {tenant.token(scp='access', name='Alice', oid='user-oid')}")

    assert caller.holds(READ) and caller.holds(READ_WRITE)
    assert (caller.person.id, caller.person.name) == ("user-oid", "Alice")


@pytest.mark.parametrize("make, reason", [
    (lambda t: t.token(expires_in=-3600), "expired"),
    (lambda t: t.token(audience="api://someone-else"), "another audience"),
    (lambda t: t.token(issuer="https://login.microsoftonline.com/other-tenant/v2.0"), "another tenant or authority"),
    (lambda t: t.token(tid="other-tenant"), "another tenant"),
    (lambda t: t.token(exp=None), "lacks a claim"),
    (lambda t: t.token(nbf=4102444800), "not valid yet"),
    (lambda t: t.unsigned_token(), "'none' are not accepted"),
])
async def test_bad_tokens_are_refused_with_the_reason(validator, tenant, make, reason):
    assert reason in await rejected(validator, make(tenant))


async def test_a_token_signed_by_another_key_under_a_published_key_id_fails_the_signature_check(validator, tenant):
    forger = SigningKey.new()
    token = tenant.token(key=forger, headers={"kid": tenant.published[0].kid})

    assert "signature does not verify" in await rejected(validator, token)


async def test_an_hmac_token_keyed_with_the_public_key_is_refused(validator, tenant):
    public_pem = tenant.published[0].private.public_key().public_bytes(
        encoding=__import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.PEM,
        format=__import__("cryptography.hazmat.primitives.serialization",
                          fromlist=["PublicFormat"]).PublicFormat.SubjectPublicKeyInfo)
    token = jwt.encode({"aud": AUDIENCE, "iss": tenant.issuer, "exp": 4102444800, "tid": tenant.tenant_id},
                       public_pem.decode()[:40], algorithm="HS256", headers={"kid": tenant.published[0].kid})

    assert "'HS256' are not accepted" in await rejected(validator, token)


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt", "Bearer a.b.c"])
async def test_anything_but_a_bearer_jwt_is_refused(validator, header):
    with pytest.raises(TokenRejected):
        await validator.caller(header)


async def test_keys_are_fetched_once_and_reused(validator, tenant):
    for _ in range(5):
        await validator.caller(f"Bearer {tenant.token()}")

    assert tenant.jwks_fetches() == 1


async def test_a_rotated_key_is_picked_up_by_one_refresh(validator, tenant, ticks):
    await validator.caller(f"Bearer {tenant.token()}")
    new_key = tenant.rotate()
    ticks.now += 1  # well within the refresh interval: a new key id still triggers the first refresh

    caller = await validator.caller(f"Bearer {tenant.token(key=new_key)}")

    assert caller.object_id == PIPELINE_OID
    assert tenant.jwks_fetches() == 2


async def test_unknown_key_ids_refresh_at_most_once_per_interval(validator, tenant, ticks):
    await validator.caller(f"Bearer {tenant.token()}")
    ticks.now += 301
    strangers = [tenant.token(key=SigningKey.new()) for _ in range(6)]

    results = await asyncio.gather(*(validator.caller(f"Bearer {t}") for t in strangers), return_exceptions=True)

    assert all(isinstance(r, TokenRejected) and "does not publish" in str(r) for r in results)
    assert tenant.jwks_fetches() == 2  # the first token, then one refresh for six unknown key ids
    ticks.now += 100
    assert "does not publish" in await rejected(validator, tenant.token(key=SigningKey.new()))
    assert tenant.jwks_fetches() == 2
    ticks.now += 300
    assert "does not publish" in await rejected(validator, tenant.token(key=SigningKey.new()))
    assert tenant.jwks_fetches() == 3


async def test_keys_older_than_max_age_are_fetched_again(validator, tenant, ticks):
    await validator.caller(f"Bearer {tenant.token()}")
    ticks.now += 3601

    await validator.caller(f"Bearer {tenant.token()}")

    assert tenant.jwks_fetches() == 2


async def test_a_tenant_outage_with_no_cached_keys_is_unavailable_not_unauthorized(validator, tenant):
    tenant.failures = 1

    with pytest.raises(KeysUnavailable):
        await validator.caller(f"Bearer {tenant.token()}")


async def test_cached_keys_keep_working_while_the_tenant_is_down(validator, tenant, ticks):
    await validator.caller(f"Bearer {tenant.token()}")
    tenant.failures = 10
    ticks.now += 3601  # stale: a refresh is attempted and fails

    caller = await validator.caller(f"Bearer {tenant.token()}")

    assert caller.object_id == PIPELINE_OID
