"""Entra ID bearer tokens: RS256 signature against the tenant's JWKS (cached, refreshed on an unknown key id,
rate-limited; failures remembered and backed off), issuer, audience, tenant, expiry, and the app roles the caller holds.

Both token versions Entra issues for an API are accepted, each against its own OpenID metadata: v2.0 (the API's
registration sets `accessTokenAcceptedVersion: 2`; `aud` is always its client id) and v1.0 (what a registration issues
by default; `aud` is the client id or Application ID URI the client asked for, `iss` is https://sts.windows.net/{tid}/).
Source: MicrosoftDocs/entra-docs docs/identity-platform/access-tokens.md ("Token formats", "v1.0 and v2.0 tokens") and
access-token-claims-reference.md.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

import aiohttp
import jwt

from core.model import Person
from settings.model import V2_METADATA_PATH

logger = logging.getLogger(__name__)

READ, READ_WRITE = "RootMail.Read", "RootMail.ReadWrite"
TRANSFER = "RootMail.Transfer"  # changing an address's owner; never implied by another role
ALGORITHMS = ["RS256"]  # what Entra ID signs access tokens with; never "none", never HMAC
ENTRA_METADATA = "https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration"
VERSIONS = ("2.0", "1.0")  # the `ver` claim of Entra access tokens
LEEWAY = 60  # seconds of clock skew tolerated on exp and nbf
FAILURE_BACKOFF = 10.0  # seconds before the first retry after the tenant failed to answer; doubles up to min_refresh


class TokenRejected(Exception):
    """The token is not acceptable; the message says why and is safe to return to the caller."""


class KeysUnavailable(Exception):
    """The tenant's metadata or signing keys could not be fetched, and none are cached."""


@dataclass(frozen=True)
class Caller:
    object_id: str
    app_id: str
    name: str
    roles: frozenset[str]
    is_app: bool = True  # an app-only token (a pipeline); False for a user's delegated token

    def holds(self, role: str) -> bool:
        return role in self.roles or (role == READ and READ_WRITE in self.roles)

    @property
    def person(self) -> Person:
        """The requester recorded on an address: an app as `app:<client id>`, a user by object id."""
        return Person(id=f"app:{self.app_id}" if self.is_app and self.app_id else self.object_id, name=self.name,
                      aad_object_id=self.object_id)


class Jwks:
    """The tenant's OpenID metadata and signing keys. Keys are kept for `max_age` seconds; a token signed with a
    key id not in the cache triggers one refresh, at most once per `min_refresh` seconds (key rollover works,
    while a flood of made-up key ids cannot make RootMail hammer the tenant). A failed fetch is remembered too: the
    next one waits FAILURE_BACKOFF seconds, doubling per failure up to `min_refresh`, and requests meanwhile are
    answered from the cache or refused at once (an outage of the tenant is not multiplied by RootMail's traffic)."""

    def __init__(self, session: aiohttp.ClientSession, metadata_url: str, tenant_id: str, *,
                 max_age: float = 86400, min_refresh: float = 300, timeout: float = 10,
                 monotonic: Callable[[], float] = time.monotonic):
        self._session, self._metadata_url, self._tenant = session, metadata_url, tenant_id
        self._max_age, self._min_refresh, self._monotonic = max_age, min_refresh, monotonic
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._issuer: str | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._miss_at: float | None = None  # last refresh caused by an unknown key id
        self._generation = 0
        self._failures = 0
        self._retry_at = float("-inf")  # no fetch before this (monotonic), after a failure
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def issuer(self) -> str:
        if self._issuer is None:
            await self._refresh()
        if self._issuer is None:
            raise KeysUnavailable("The tenant's OpenID metadata cannot be fetched right now.")
        return self._issuer

    async def key(self, kid: str) -> jwt.PyJWK | None:
        now = self._monotonic()
        if self._fetched_at is None or now - self._fetched_at > self._max_age:
            await self._refresh()
            if self._fetched_at is None:  # another caller's fetch, which this one waited for, failed
                raise KeysUnavailable("The tenant's signing keys cannot be fetched right now.")
        elif kid not in self._keys:
            if self._lock.locked():  # a refresh is under way: its keys may include this one
                async with self._lock:
                    pass
            elif self._miss_at is None or now - self._miss_at >= self._min_refresh:
                self._miss_at = now
                await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        generation = self._generation
        async with self._lock:
            if self._generation != generation:
                return  # another caller refreshed while this one waited
            self._generation += 1
            if self._monotonic() < self._retry_at:  # the last fetch failed moments ago: do not ask again yet
                if not self._keys:
                    raise KeysUnavailable("The tenant's signing keys cannot be fetched right now.")
                return
            try:
                metadata = await self._get(self._metadata_url)
                keys = await self._get(str(metadata["jwks_uri"]))
                self._keys = _signing_keys(keys)
                self._issuer = str(metadata["issuer"]).replace("{tenantid}", self._tenant)
                self._fetched_at = self._monotonic()
                self._failures, self._retry_at = 0, float("-inf")
            except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, TypeError, ValueError) as error:
                self._failures += 1
                backoff = min(FAILURE_BACKOFF * 2 ** (self._failures - 1), self._min_refresh)
                self._retry_at = self._monotonic() + backoff
                logger.warning("could not fetch the tenant's signing keys",
                               extra={"metadata_url": self._metadata_url, "error": type(error).__name__,
                                      "retry_in_s": backoff})
                if not self._keys:
                    raise KeysUnavailable("The tenant's signing keys cannot be fetched right now.") from error
                # keep the cached keys, and try again after `min_refresh` rather than on every request
                self._fetched_at = self._monotonic() - self._max_age + self._min_refresh

    async def _get(self, url: str) -> dict[str, Any]:
        self.fetches += 1
        async with self._session.get(url, timeout=self._timeout) as response:
            response.raise_for_status()
            body = await response.json(content_type=None)
        if not isinstance(body, dict):
            raise ValueError(f"{url} did not answer with a JSON object")
        return body


def _signing_keys(jwks: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    keys = {}
    for entry in jwks.get("keys") or []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        try:
            keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm="RS256")
        except (KeyError, jwt.PyJWKError, ValueError):
            logger.warning("ignoring an unusable key in the tenant's JWKS", extra={"kid": entry.get("kid")})
    return keys


_REASONS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "The token has expired; get a new one."),
    (jwt.ImmatureSignatureError, "The token is not valid yet (nbf/iat in the future); check the clocks."),
    (jwt.InvalidAudienceError, "The token was issued for another audience, not for RootMail's API."),
    (jwt.InvalidIssuerError, "The token was issued by another tenant or authority."),
    (jwt.InvalidSignatureError, "The token's signature does not verify against the tenant's keys."),
    (jwt.MissingRequiredClaimError, "The token lacks a claim RootMail needs (exp, iss, aud)."),
]


def v1_metadata_url(v2_url: str) -> str:
    """v1.0 tokens are checked against the v1.0 document: the v2.0 URL without /v2.0 (access-tokens.md)."""
    return v2_url.replace(V2_METADATA_PATH, V2_METADATA_PATH.removeprefix("/v2.0"))


class TokenValidator:
    def __init__(self, jwks: Jwks, audiences: tuple[str, ...], tenant_id: str, leeway: float = LEEWAY, *,
                 v1: Jwks | None = None):
        """`jwks`: the tenant's v2.0 metadata and keys; `v1`: its v1.0 ones (without them v1.0 tokens are refused)."""
        self._jwks_by_version = {"2.0": jwks, "1.0": v1}
        self._audiences, self._tenant, self._leeway = list(audiences), tenant_id, leeway

    async def caller(self, authorization: str | None) -> Caller:
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected("Send an Entra ID access token as `Authorization: Bearer <token>`.")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:  # not a JWT, or a header PyJWT refuses (a `kid` that is not a string)
            raise TokenRejected("The bearer token is not a JWT with a usable header.") from None
        if header.get("alg") not in ALGORITHMS:
            raise TokenRejected(f"Tokens signed with {str(header.get('alg'))[:20]!r} are not accepted; "
                                "RootMail accepts RS256 tokens from Entra ID.")
        jwks = self._jwks_by_version.get(_version(token))
        if jwks is None:
            raise TokenRejected("RootMail accepts Entra ID access tokens of version 1.0 and 2.0 (the `ver` claim).")
        kid = header.get("kid")
        key = await jwks.key(kid) if isinstance(kid, str) and kid else None
        if key is None:
            raise TokenRejected("The token is signed with a key the tenant does not publish.")
        try:
            # the issuer is the one of the token's own version, so a v1.0 `ver` under a v2.0 issuer fails here
            claims = jwt.decode(token, key.key, algorithms=ALGORITHMS, audience=self._audiences,
                                issuer=await jwks.issuer(), leeway=self._leeway,
                                options={"require": ["exp", "iss", "aud"]})
        except jwt.InvalidTokenError as error:
            reason = next((why for kind, why in _REASONS if isinstance(error, kind)), "The token is invalid.")
            raise TokenRejected(reason) from None
        if self._tenant and claims.get("tid") != self._tenant:
            raise TokenRejected("The token was issued by another tenant.")
        roles = claims.get("roles") if isinstance(claims.get("roles"), list) else []
        return Caller(object_id=str(claims.get("oid") or claims.get("sub") or ""),
                      app_id=str(claims.get("azp") or claims.get("appid") or ""),
                      name=str(claims.get("name") or claims.get("preferred_username") or claims.get("unique_name")
                               or claims.get("app_displayname") or ""),
                      roles=frozenset(str(r) for r in roles), is_app="scp" not in claims)


def _version(token: str) -> str | None:
    """The token's `ver`, read before its signature is checked only to pick the metadata to check it against."""
    try:
        ver = jwt.decode(token, options={"verify_signature": False}).get("ver")
    except jwt.PyJWTError:
        return None
    return ver if ver in VERSIONS else None
