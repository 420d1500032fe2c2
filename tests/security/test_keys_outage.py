"""The Entra tenant's metadata and keys are down: RootMail must not turn every API call into another fetch (70 calls
made 70 fetches). A failure is remembered and backed off like a success is cached."""
from __future__ import annotations

import asyncio

import aiohttp

from api.auth import Jwks, KeysUnavailable, TokenValidator
from tests.fakes.jwks import AUDIENCE


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_seventy_calls_while_the_tenant_is_down_fetch_its_metadata_once(api):
    api.tenant.failures = 10_000  # every request to the tenant answers 503

    answers = await asyncio.gather(*(api.client.get("/api/v1/addresses", headers=api.auth(("RootMail.Read",)))
                                     for _ in range(70)))

    assert {a.status for a in answers} == {503}
    assert all(a.headers["Content-Type"].startswith("application/problem+json") for a in answers)
    assert len(api.tenant.requests) == 1


async def test_after_the_backoff_the_tenant_is_asked_again_and_calls_work_once_it_answers(tenant):
    ticks = Ticks()
    tenant.failures = 1
    async with aiohttp.ClientSession() as session:
        jwks = Jwks(session, tenant.metadata_url, tenant.tenant_id, min_refresh=300, monotonic=ticks)
        validator = TokenValidator(jwks, (AUDIENCE,), tenant.tenant_id)
        for _ in range(5):
            try:
                await validator.caller(f"Bearer {tenant.token()}")
            except KeysUnavailable:
                pass
        fetched_while_down = len(tenant.requests)
        ticks.now += 11  # the first backoff is 10 s (api.auth.FAILURE_BACKOFF)
        caller = await validator.caller(f"Bearer {tenant.token()}")

    assert fetched_while_down == 1
    assert caller.holds("RootMail.ReadWrite")
