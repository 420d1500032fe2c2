"""The automation API: Entra ID's OpenID metadata (v2.0, and v1.0 for v1.0 tokens) and signing keys are reachable, for
the configured tenant, and the tokens Entra issues for the API's registration pass RootMail's checks (doctor.audience)."""
from __future__ import annotations

import asyncio

import aiohttp

from api.auth import ENTRA_METADATA, v1_metadata_url
from doctor import audience
from doctor.report import Finding, failed, passed, skipped
from settings import Settings

PART = "api"


async def check(context) -> list[Finding]:
    settings: Settings = context.settings
    if not settings.api_audiences:
        return [skipped(PART, "Entra ID tokens for /api/v1", "ROOTMAIL_API_AUDIENCE is empty: the API is off")]
    tenant = settings.api_tenant_id or settings.app_tenant_id
    v2 = settings.api_metadata_url or ENTRA_METADATA.format(tenant=tenant)
    found: list[Finding] = []
    for version, url in (("v2.0", v2), ("v1.0", v1_metadata_url(v2))):
        found += await _document(context, tenant, version, url)
    return found + await audience.check(context, tenant, v2)


async def _document(context, tenant: str, version: str, url: str) -> list[Finding]:
    """One metadata document (tokens of `version` are checked against it): reachable, this tenant's, keys listed."""
    metadata, finding = await _json(context, url, f"OpenID metadata for {version} tokens")
    if metadata is None:
        return [finding]
    found = [finding]
    issuer, jwks_uri = str(metadata.get("issuer", "")), str(metadata.get("jwks_uri", ""))
    if tenant.lower() not in issuer.lower():
        found.append(failed(PART, f"the {version} metadata is this tenant's", f"issuer {issuer}",
                            "set ROOTMAIL_API_TENANT_ID to the tenant that issues the pipelines' tokens"))
    jwks, finding = await _json(context, jwks_uri, f"signing keys for {version} tokens")
    if jwks is not None and not jwks.get("keys"):
        finding = failed(PART, f"signing keys for {version} tokens", f"{jwks_uri} lists no key",
                         "check ROOTMAIL_API_METADATA_URL")
    return found + [finding]


async def _json(context, url: str, what: str) -> tuple[dict | None, Finding]:
    try:
        async with context.http.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
            if response.status != 200:
                return None, failed(PART, what, f"{url} answered {response.status}",
                                    "check ROOTMAIL_API_TENANT_ID (a GUID) and ROOTMAIL_API_METADATA_URL")
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as problem:
        return None, failed(PART, what, f"{url}: {type(problem).__name__}",
                            "this host must reach login.microsoftonline.com (or your cloud's authority)")
    if not isinstance(body, dict):
        return None, failed(PART, what, f"{url} did not answer a JSON object", "check ROOTMAIL_API_METADATA_URL")
    return body, passed(PART, what, url)
