"""A fake managed identity endpoint, as Azure Container Apps (and App Service) expose it to the app, on a random
loopback port: `GET $IDENTITY_ENDPOINT?resource=...&api-version=2019-08-01&client_id=...` with the header
`X-IDENTITY-HEADER: $IDENTITY_HEADER`, answering {access_token, expires_on, resource, token_type, client_id}
(https://learn.microsoft.com/azure/container-apps/managed-identity, "REST endpoint reference"). azure-identity's
ManagedIdentityCredential talks to it unchanged once the two variables are set.

Tokens are Entra ID v1.0 access tokens signed by the fake tenant's keys (tests/fakes/jwks.py): iss
https://sts.windows.net/<tenant>/, aud = the resource as requested, sub = oid = the identity's object id, appid =
its client id, idtyp app, ver 1.0, no azp (https://learn.microsoft.com/entra/identity-platform/access-tokens,
claims table). Refusals:
- a missing or wrong X-IDENTITY-HEADER: the header exists to stop SSRF, so the request is refused; the docs name no
  status, this fake answers 401 (defensive: RootMail treats any refusal as "no token", never retries it as AWS's);
- an unknown client_id: 400 `invalid_request`; a resource with no service principal in the tenant: 400
  `invalid_resource` with AADSTS500011 (https://learn.microsoft.com/entra/identity-platform/reference-error-codes,
  AADSTS500011 InvalidResourceServicePrincipalNotFound). The endpoint relays Entra's error body; the exact JSON of
  that relay is undocumented, so only status and error code are relied on.
"""
from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web

from tests.fakes.jwks import FakeTenant

API_VERSION = "2019-08-01"


@dataclass
class Identity:
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    principal_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # the object id: sub and oid
    resource_id: str = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-rootmail/providers/" \
                       "Microsoft.ManagedIdentity/userAssignedIdentities/id-rootmail"


@dataclass
class ManagedIdentityEndpoint:
    tenant: FakeTenant
    identity: Identity = field(default_factory=Identity)
    resources: set[str] = field(default_factory=set)  # App ID URIs with a service principal in the tenant
    header: str = field(default_factory=lambda: secrets.token_hex(16))
    lifetime: int = 3600
    issued: list[dict[str, Any]] = field(default_factory=list)  # the claims of every token handed out
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/msi/token", self._token)
        return app

    def environment(self) -> dict[str, str]:
        """What Container Apps sets in the container for the app."""
        return {"IDENTITY_ENDPOINT": f"{self.url}/msi/token", "IDENTITY_HEADER": self.header}

    @property
    def issuer(self) -> str:
        return f"https://sts.windows.net/{self.tenant.tenant_id}/"

    def mint(self, resource: str, **overrides: Any) -> str:
        """A v1.0 access token for the identity, as Entra ID issues it to a managed identity."""
        now = int(time.time())
        claims = {"aud": resource, "iss": self.issuer, "iat": now - 30, "nbf": now - 30, "exp": now + self.lifetime,
                  "sub": self.identity.principal_id, "oid": self.identity.principal_id,
                  "appid": self.identity.client_id, "appidacr": "2", "idp": self.issuer, "idtyp": "app",
                  "tid": self.tenant.tenant_id, "ver": "1.0", "xms_mirid": self.identity.resource_id}
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        key = self.tenant.published[0]
        self.issued.append(claims)
        return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid, "x5t": key.kid})

    async def _token(self, request: web.Request) -> web.Response:
        if request.headers.get("X-IDENTITY-HEADER") != self.header:
            return web.json_response({"error": "unauthorized", "error_description": "X-IDENTITY-HEADER"}, status=401)
        query = request.query
        if query.get("api-version") != API_VERSION or "resource" not in query:
            return _entra_error("invalid_request", "AADSTS900144", "api-version and resource are required")
        if query.get("client_id", self.identity.client_id) != self.identity.client_id:
            return _entra_error("invalid_request", "AADSTS700016", "no user-assigned identity with that client id")
        resource = query["resource"].removesuffix("/.default")
        if resource not in self.resources:
            return _entra_error("invalid_resource", "AADSTS500011",
                                f"The resource principal named {resource} was not found in the tenant")
        token = self.mint(resource)
        return web.json_response({"access_token": token, "expires_on": str(int(time.time()) + self.lifetime),
                                  "resource": resource, "token_type": "Bearer",
                                  "client_id": self.identity.client_id})


def _entra_error(error: str, code: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": f"{code}: {description}",
                              "error_codes": [int(code.removeprefix("AADSTS"))]}, status=400)
