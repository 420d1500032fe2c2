"""A fake Entra ID (Microsoft identity platform) tenant: OpenID metadata for v1.0 and v2.0 tokens, the signing keys,
access tokens shaped as Entra issues them, and the client-credentials token endpoint with the refusals Entra answers.
Served on a random loopback port (`app()`, for RootMail's own JWKS client) and, by the fixed https URLs botbuilder and
MSAL call, through tests.fakes.login. Records every request it serves.

Sources (MicrosoftDocs/entra-docs, docs/identity-platform/):
- access-tokens.md: v1.0 and v2.0 token formats; `accessTokenAcceptedVersion` null or 1 gives v1.0, 2 gives v2.0,
  whatever endpoint the client used; v1.0 tokens are checked against the metadata without /v2.0 in the URL; a
  tenant-specific metadata URL may name the tenant by GUID or by domain (contoso.onmicrosoft.com).
- access-token-claims-reference.md: `aud` is always the API's client id in v2.0 and the client id or resource URI the
  client asked for in v1.0; `iss` ends in /v2.0 only for v2.0; `appid`/`appidacr` only in v1.0, `azp`/`azpacr` only in
  v2.0; `ver` is "1.0" or "2.0"; `kid` in both, `x5t` only in v1.0.
- v2-oauth2-client-creds-grant-flow.md: the token request (scope `{resource}/.default`) and errors as 400 with
  `error`, `error_description` (AADSTS code) and `error_codes`.
- reference-error-codes.md: AADSTS90002 (tenant not found), AADSTS700016 (app not found in the tenant, e.g. a
  single-tenant app asking another tenant), AADSTS7000215 (wrong secret), AADSTS500011 (resource not in the tenant).
- The API itself as a client-credentials resource (`{client id}/.default` or `{Application ID URI}/.default`): the
  token's version is the registration's accessTokenAcceptedVersion, not the endpoint's (access-tokens.md, "Token
  formats"); its aud as the claims reference says above. A client holding none of the API's app roles still gets a
  token, without `roles`: the docs are silent; a Microsoft Q&A answer says so
  (learn.microsoft.com/answers/questions/395629, "Application1 receives an access token with no app-roles").
Not documented, chosen and said here: the status of a metadata request for an unknown tenant (400, as the token
endpoint's errors).
"""
from __future__ import annotations

import base64
import functools
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

TENANT_ID = "72f988bf-0000-4000-8000-000000000001"
TENANT_DOMAIN = "rootmail-test.onmicrosoft.com"
API_CLIENT_ID = "5a7c2f10-0000-4000-8000-0000000000a1"  # the automation API's app registration
API_URI = "api://rootmail-test"  # its Application ID URI
AUDIENCE = API_CLIENT_ID  # what a v2.0 token for the API carries in aud
PIPELINE_APP = "5e3b0c9a-0000-4000-8000-00000000a001"
PIPELINE_OID = "9d1c8f2e-0000-4000-8000-00000000b001"
LOGIN = "https://login.microsoftonline.com"
V1_ISSUER = "https://sts.windows.net/{tenant}/"
V2_ISSUER = LOGIN + "/{tenant}/v2.0"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(repr=False)
    endorsements: tuple[str, ...] = ()  # only the Bot Framework's keys carry these

    @classmethod
    def new(cls, endorsements: tuple[str, ...] = ()) -> "SigningKey":
        return cls(uuid.uuid4().hex[:16], rsa.generate_private_key(public_exponent=65537, key_size=2048), endorsements)

    @classmethod
    @functools.cache
    def shared(cls, name: str = "entra", endorsements: tuple[str, ...] = ()) -> "SigningKey":
        """One key per name for the whole test run: a 2048-bit key takes ~0.2 s to make, and Entra signs every
        tenant's tokens with the same published keys anyway."""
        return cls.new(endorsements)

    def jwk(self) -> dict[str, Any]:
        numbers = self.private.public_key().public_numbers()
        key = {"kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid, "n": _b64(numbers.n),
               "e": _b64(numbers.e)}
        return key | ({"endorsements": list(self.endorsements)} if self.endorsements else {})

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        return jwt.encode({k: v for k, v in claims.items() if v is not None}, self.private, algorithm="RS256",
                          headers={"typ": "JWT", "kid": self.kid, **(headers or {})})


@dataclass
class ApiRegistration:
    """The automation API's app registration, as far as its tokens go."""

    client_id: str = API_CLIENT_ID
    app_id_uri: str = API_URI
    access_token_accepted_version: int | None = 2  # the manifest property; null (a new registration) and 1: v1.0

    @property
    def token_version(self) -> str:
        return "2.0" if self.access_token_accepted_version == 2 else "1.0"


@dataclass
class ClientApp:
    """An app registration that may ask this tenant for app-only tokens (client credentials)."""

    secret: str
    multi_tenant: bool = False  # signInAudience AzureADMultipleOrgs: other tenants issue tokens to it as well
    object_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class FakeTenant:
    tenant_id: str = TENANT_ID
    domains: tuple[str, ...] = (TENANT_DOMAIN,)
    published: list[SigningKey] = field(default_factory=lambda: [SigningKey.shared()])
    api: ApiRegistration = field(default_factory=ApiRegistration)
    apps: dict[str, ClientApp] = field(default_factory=dict)  # client id -> registration, for the token endpoint
    resources: dict[str, str] = field(default_factory=dict)  # other resource URI -> token version it gets
    requests: list[str] = field(default_factory=list)
    failures: int = 0  # answer this many requests with 503 before answering normally
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._metadata)
        app.router.add_get("/{tenant}/.well-known/openid-configuration", self._metadata)
        app.router.add_get("/{tenant}/discovery/v2.0/keys", self._keys)
        app.router.add_get("/{tenant}/discovery/keys", self._keys)
        # the token endpoint as azure-identity reaches it through tests.fakes.graph.entra.ToFakeEntra: real host first
        app.router.add_post("/{host}/{tenant}/oauth2/v2.0/token", self._token)
        return app

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/{self.tenant_id}/v2.0/.well-known/openid-configuration"

    @property
    def issuer(self) -> str:
        return V2_ISSUER.format(tenant=self.tenant_id)

    @property
    def issuer_v1(self) -> str:
        return V1_ISSUER.format(tenant=self.tenant_id)

    def knows(self, segment: str) -> bool:
        """Entra's endpoints take the tenant as its GUID or one of its verified domains."""
        return segment.lower() == self.tenant_id or segment.lower() in self.domains

    def jwks_fetches(self) -> int:
        return sum(1 for path in self.requests if path.endswith("/keys"))

    def rotate(self) -> SigningKey:
        """Entra's rollover: a new key is published next to the old one, and signs from now on."""
        key = SigningKey.new()
        self.published.insert(0, key)
        return key

    def token(self, roles: tuple[str, ...] = ("RootMail.ReadWrite",), *, key: SigningKey | None = None,
              audience: str | None = None, issuer: str | None = None, expires_in: int = 3600,
              headers: dict | None = None, version: str | None = None, resource: str | None = None,
              **claims: Any) -> str:
        """An app-only access token for the API as Entra issues it to the pipeline: v2.0 or v1.0 as the API's
        registration says (`version` forces one). A v1.0 token's aud is the resource the client asked for
        (`resource`; by default the Application ID URI, as `api://…/.default` asks)."""
        version = version or self.api.token_version
        if version == "2.0":
            body: dict[str, Any] = {"aud": self.api.client_id, "iss": self.issuer, "azp": PIPELINE_APP,
                                    "azpacr": "1", "ver": "2.0"}
        else:
            body = {"aud": resource or self.api.app_id_uri, "iss": self.issuer_v1, "idp": self.issuer_v1,
                    "appid": PIPELINE_APP, "appidacr": "1", "ver": "1.0"}
        body |= self._common(expires_in) | {"oid": PIPELINE_OID, "sub": PIPELINE_OID, "roles": list(roles)}
        body |= {k: v for k, v in (("aud", audience), ("iss", issuer)) if v is not None}
        signer = key or self.published[0]
        return signer.sign(body | claims, headers if headers is not None else
                           {"x5t": signer.kid} if version == "1.0" else {})

    def unsigned_token(self, roles: tuple[str, ...] = ("RootMail.ReadWrite",)) -> str:
        """`alg: none`, otherwise perfect: the classic forgery."""
        body = {"aud": AUDIENCE, "iss": self.issuer, "exp": int(time.time()) + 3600, "tid": self.tenant_id,
                "oid": PIPELINE_OID, "roles": list(roles), "ver": "2.0"}
        return jwt.encode(body, None, algorithm="none", headers={"kid": self.published[0].kid})

    def _common(self, expires_in: int) -> dict[str, Any]:
        now = int(time.time())
        return {"iat": now - 60, "nbf": now - 60, "exp": now + expires_in, "tid": self.tenant_id}

    # -- the documents, for any base URL (loopback here, login.microsoftonline.com through tests.fakes.login) --

    def metadata(self, segment: str, version: str, base: str) -> tuple[int, dict[str, Any]]:
        if not self.knows(segment):
            return 400, entra_error("invalid_request", 90002, f"Tenant '{segment}' not found.")
        v2 = version == "2.0"
        return 200, {"issuer": self.issuer if v2 else self.issuer_v1,
                     "jwks_uri": f"{base}/{segment}/discovery/{'v2.0/' if v2 else ''}keys",
                     "token_endpoint": f"{base}/{segment}/oauth2/{'v2.0/' if v2 else ''}token",
                     "authorization_endpoint": f"{base}/{segment}/oauth2/{'v2.0/' if v2 else ''}authorize",
                     "id_token_signing_alg_values_supported": ["RS256"]}

    def keys(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self.published]}

    def token_response(self, segment: str, form: str, issuing_apps: dict[str, ClientApp]) -> tuple[int, dict]:
        """POST /{tenant}/oauth2/v2.0/token with client credentials. `issuing_apps`: every app registration Entra
        knows, so a multi-tenant app registered elsewhere still gets a token here and a single-tenant one does not."""
        fields = {k: v[0] for k, v in parse_qs(form).items()}
        if not self.knows(segment):
            return 400, entra_error("invalid_request", 90002, f"Tenant '{segment}' not found.")
        if fields.get("grant_type") != "client_credentials":
            return 400, entra_error("unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        client = self.apps.get(fields.get("client_id", "")) or issuing_apps.get(fields.get("client_id", ""))
        if client is None or (fields.get("client_id") not in self.apps and not client.multi_tenant):
            return 400, entra_error("unauthorized_client", 700016, f"Application with identifier "
                               f"'{fields.get('client_id')}' was not found in the directory '{segment}'.")
        if fields.get("client_secret") != client.secret:
            return 400, entra_error("invalid_client", 7000215, "Invalid client secret provided.")
        resource = fields.get("scope", "").removesuffix("/.default")
        api = resource in (self.api.client_id, self.api.app_id_uri)  # the API, named by client id or its URI
        version = self.api.token_version if api else self.resources.get(resource)
        if version is None:
            return 400, entra_error("invalid_resource", 500011, f"The resource principal named {resource} was not "
                                                           f"found in the tenant named {segment}.")
        issuer = self.issuer if version == "2.0" else self.issuer_v1
        # v2.0: aud is always the API's client id; v1.0: the resource as the client named it. No `roles`: this client
        # holds none of the API's app roles (Entra leaves the claim out; the API must refuse, not the token endpoint)
        audience = self.api.client_id if api and version == "2.0" else resource
        claims = {"aud": audience, "iss": issuer, "ver": version, "oid": client.object_id, "sub": client.object_id,
                  "idtyp": "app"} | self._common(3600)
        claims |= {"azp": fields["client_id"], "azpacr": "1"} if version == "2.0" else {
            "appid": fields["client_id"], "appidacr": "1", "idp": issuer}
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                     "access_token": self.published[0].sign(claims, {"x5t": self.published[0].kid}
                                                            if version == "1.0" else {})}

    async def _fault(self, request: web.Request) -> web.Response | None:
        self.requests.append(request.path)
        if self.failures:
            self.failures -= 1
            return web.json_response({"error": "temporarily_unavailable"}, status=503)
        return None

    async def _metadata(self, request: web.Request) -> web.Response:
        if fault := await self._fault(request):
            return fault
        version = "2.0" if "/v2.0/" in request.path else "1.0"
        status, body = self.metadata(request.match_info["tenant"], version, self.url)
        return web.json_response(body, status=status)

    async def _token(self, request: web.Request) -> web.Response:
        if fault := await self._fault(request):
            return fault
        # this tenant is the public cloud's: another cloud's authority does not know it (national-clouds.md)
        segment = request.match_info["tenant"] if request.match_info["host"] == LOGIN.removeprefix("https://") else ""
        status, body = self.token_response(segment, await request.text(), self.apps)
        return web.json_response(body, status=status)

    async def _keys(self, request: web.Request) -> web.Response:
        if fault := await self._fault(request):
            return fault
        if not self.knows(request.match_info["tenant"]):
            return web.json_response(self.metadata(request.match_info["tenant"], "2.0", self.url)[1], status=400)
        return web.json_response(self.keys())


def entra_error(error: str, code: int, description: str) -> dict[str, Any]:
    return {"error": error, "error_description": f"AADSTS{code}: {description}", "error_codes": [code]}
