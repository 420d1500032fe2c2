"""A fake Microsoft Entra ID token endpoint for Graph's client-credentials flow, one cloud per instance, on a random
loopback port. azure-identity keeps building the real URL (https://{authority}/{tenant}/oauth2/v2.0/token); the
transport this fake hands out records that URL and delivers the request here, so a test sees exactly which authority,
tenant and scope RootMail asked for, and nothing leaves the machine.

Sources (MicrosoftDocs/entra-docs unless named otherwise):
- docs/identity-platform/v2-oauth2-client-creds-grant-flow.md: POST /{tenant}/oauth2/v2.0/token on the authority
  host; form fields client_id, client_secret, grant_type=client_credentials and scope, "the resource identifier
  (application ID URI) of the resource you want, affixed with the .default suffix. All scopes included must be for a
  single resource"; the tenant "in GUID or domain-name format"; the answer {"token_type": "Bearer", "expires_in",
  "access_token"}; errors as {"error", "error_description": "AADSTS...", "error_codes": [...]}.
- docs/identity-platform/reference-error-codes.md: AADSTS90002 (tenant not found), AADSTS700016 (application not
  found in the directory), AADSTS7000215 (invalid client secret), AADSTS500011 (the resource principal was not found
  in the tenant), AADSTS70011 (invalid scope), AADSTS70003 (unsupported grant type).
- microsoftgraph/microsoft-graph-docs-contrib concepts/deployments.md and concepts/sdks/national-clouds.md: each
  national cloud has its own Entra endpoint and Graph root, and "Access tokens acquired for a national cloud
  deployment are not interchangeable" - so this fake's tenant is known at its own authority only, and its Graph
  resource is its own cloud's.
The HTTP status of each error is not in the docs' tables: invalid_client is 401, as RFC 6749 section 5.2 allows and
Entra answers; the others are 400, as the error example in the flow's page shows."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from azure.core.pipeline.transport import AioHttpTransport


@dataclass
class TokenRequest:
    url: str  # as azure-identity built it: https://{authority}/{tenant}/oauth2/v2.0/token
    form: dict[str, str]


@dataclass
class FakeEntra:
    authority: str  # e.g. login.microsoftonline.us
    resource: str  # the cloud's Graph, e.g. https://graph.microsoft.us
    tenant_id: str
    client_id: str
    secret: str
    access_token: str = field(default_factory=lambda: f"fake-entra-{uuid.uuid4().hex}")
    domains: tuple[str, ...] = ("contoso.onmicrosoft.com",)  # the tenant's verified domains
    url: str = ""  # where this fake listens; set once served
    requests: list[TokenRequest] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{host}/{tenant}/oauth2/v2.0/token", self._token)
        return app

    def transport(self) -> "ToFakeEntra":
        return ToFakeEntra(self)

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        host, tenant = request.match_info["host"], request.match_info["tenant"]
        url = f"https://{host}/{tenant}/oauth2/v2.0/token"
        self.requests.append(TokenRequest(url, {k: str(v) for k, v in form.items()}))
        if host != self.authority or tenant.lower() not in (self.tenant_id.lower(), *self.domains):
            return _refused(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have "
                            "the correct tenant ID and are signing into the correct cloud.")
        if form.get("grant_type") != "client_credentials":
            return _refused(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if form.get("client_id") != self.client_id:
            return _refused(400, "unauthorized_client", 700016, f"Application with identifier "
                            f"'{form.get('client_id')}' was not found in the directory '{tenant}'.")
        if form.get("client_secret") != self.secret:
            return _refused(401, "invalid_client", 7000215, "Invalid client secret provided.")
        scopes = str(form.get("scope") or "").split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return _refused(400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not "
                            f"valid. The scope {form.get('scope')} is not valid.")
        if scopes[0].removesuffix("/.default") != self.resource:
            return _refused(400, "invalid_resource", 500011, f"The resource principal named "
                            f"{scopes[0].removesuffix('/.default')} was not found in the tenant named {tenant}.")
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                  "access_token": self.access_token})


def _refused(status: int, error: str, code: int, message: str) -> web.Response:
    trace = str(uuid.uuid4())
    return web.json_response({"error": error, "error_description": f"AADSTS{code}: {message}\r\nTrace ID: {trace}",
                              "error_codes": [code], "trace_id": trace, "correlation_id": str(uuid.uuid4())},
                             status=status)


class ToFakeEntra(AioHttpTransport):
    """An azure-core transport that delivers every request to the fake Entra, the real host first in its path. Any
    fake with a `url` serving POST /{host}/{tenant}/oauth2/v2.0/token will do (tests.fakes.jwks.FakeTenant too)."""

    def __init__(self, entra: FakeEntra, **kwargs: Any):
        super().__init__(**kwargs)
        self.entra = entra

    async def send(self, request: Any, **config: Any) -> Any:
        parts = urlsplit(request.url)
        request.url = f"{self.entra.url}/{parts.hostname}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        return await super().send(request, **config)
