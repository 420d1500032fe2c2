"""RootMail's JSON batches (POST /$batch) over one pooled aiohttp session: a quarter of msgraph-sdk's CPU per batch
(bench/transport.py), with the bearer token of the credential and scope the SDK uses, sent only to the Graph host."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable
from urllib.parse import urlsplit

import aiohttp
from azure.core.credentials_async import AsyncTokenCredential

logger = logging.getLogger(__name__)

# azure-core's BearerTokenCredentialPolicy asks for a new token when less than 300 s is left
# (DEFAULT_REFRESH_WINDOW_SECONDS in azure/core/pipeline/policies/_authentication.py): so does this transport.
REFRESH_BEFORE = 300.0
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})  # http allowed, as kiota's AzureIdentityAccessTokenProvider


class GraphStatus(Exception):
    """Graph answered a batch POST with a status outside 2xx: read by GraphClient.call as it reads the SDK's APIError
    (`response_status_code`, lower-case `response_headers`, the OData error `code`)."""

    def __init__(self, status: int, headers: dict[str, str], code: str):
        super().__init__(f"Graph answered {status} {code}".strip())
        self.response_status_code, self.response_headers, self.code = status, headers, code


class HostRefused(ValueError):
    """A Graph base URL a token must not go to: http to anything but this machine (kiota's token provider refuses
    the same: "Only https is supported")."""


class BatchTransport:
    """POST {base}/$batch with `Authorization: Bearer`; the token is kept until shortly before its expires_on."""

    def __init__(self, session: aiohttp.ClientSession, credential: AsyncTokenCredential, base_url: str, scope: str,
                 now: Callable[[], float] = time.time):
        self._session, self._credential, self._scope, self._now = session, credential, scope, now
        self.url = base_url.rstrip("/") + "/$batch"
        parts = urlsplit(self.url)
        self.host = (parts.hostname or "").lower()
        if parts.scheme != "https" and self.host not in LOCAL_HOSTS:
            raise HostRefused(f"Graph batches go over https only, not to {parts.scheme}://{self.host}")
        self._token: tuple[str, float] | None = None  # (token, expires_on): never logged
        self._lock = asyncio.Lock()

    async def post(self, body: bytes) -> bytes:
        """The batch's answer body; GraphStatus for a non-2xx answer (redirects are not followed: a token must not
        travel to wherever a Location points)."""
        token = await self._bearer()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   "Accept": "application/json"}
        async with self._session.post(self.url, data=body, headers=headers, allow_redirects=False) as response:
            raw = await response.read()
            if 200 <= response.status < 300:
                return raw
            if response.status == 401:  # revoked or rotated: the next attempt asks the credential again
                self._token = None
            raise GraphStatus(response.status, {k.lower(): v for k, v in response.headers.items()}, _code(raw))

    async def _bearer(self) -> str:
        """The SDK asks for CAE tokens (enable_cae=True) because kiota answers Graph's claims challenges; this
        transport does not, so it asks for an ordinary token (azure-identity's default), which Graph never
        challenges: revoked access shows as a 401, which drops the token (`post`)."""
        async with self._lock:  # one token request at a time; the others take its answer
            if self._token is None or self._token[1] - self._now() < REFRESH_BEFORE:
                found = await self._credential.get_token(self._scope)
                self._token = (found.token, float(found.expires_on))
                logger.debug("graph token for batches", extra={"expires_in_s": round(found.expires_on - self._now())})
            return self._token[0]


def _code(raw: bytes) -> str:
    """The OData error code of an error body ({"error": {"code": ...}}); empty when the body is not one."""
    try:
        found = json.loads(raw)
    except ValueError:
        return ""
    inner = found.get("error") if isinstance(found, dict) else None
    return str(inner.get("code") or "") if isinstance(inner, dict) else ""


@asynccontextmanager
async def open_batch_transport(credential: AsyncTokenCredential, base_url: str, scope: str, timeout: float,
                               now: Callable[[], float] = time.time) -> AsyncIterator[BatchTransport]:
    """One connection pool for the batches, as big as the SDK's httpx pool; closed on exit."""
    connector = aiohttp.TCPConnector(limit=64, keepalive_timeout=30)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout),
                                     raise_for_status=False) as session:
        yield BatchTransport(session, credential, base_url, scope, now)
