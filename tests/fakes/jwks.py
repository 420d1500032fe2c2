"""A fake Entra ID tenant on a random loopback port: OpenID metadata and a JWKS of RSA keys generated at test
time, and a minter of access tokens signed (or mis-signed) with them. Records every request it serves."""
from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

TENANT_ID = "72f988bf-0000-4000-8000-000000000001"
AUDIENCE = "api://rootmail-test"
PIPELINE_APP = "5e3b0c9a-0000-4000-8000-00000000a001"
PIPELINE_OID = "9d1c8f2e-0000-4000-8000-00000000b001"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(repr=False)

    @classmethod
    def new(cls) -> "SigningKey":
        return cls(uuid.uuid4().hex[:16], rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        numbers = self.private.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "kid": self.kid, "n": _b64(numbers.n), "e": _b64(numbers.e)}


@dataclass
class FakeTenant:
    tenant_id: str = TENANT_ID
    published: list[SigningKey] = field(default_factory=lambda: [SigningKey.new()])
    requests: list[str] = field(default_factory=list)
    failures: int = 0  # answer this many requests with 503 before answering normally
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._metadata)
        app.router.add_get("/{tenant}/discovery/v2.0/keys", self._keys)
        return app

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/{self.tenant_id}/v2.0/.well-known/openid-configuration"

    @property
    def issuer(self) -> str:
        return f"{self.url}/{self.tenant_id}/v2.0"

    def jwks_fetches(self) -> int:
        return sum(1 for path in self.requests if path.endswith("/keys"))

    def rotate(self) -> SigningKey:
        """Entra's rollover: a new key is published next to the old one, and signs from now on."""
        key = SigningKey.new()
        self.published.insert(0, key)
        return key

    def token(self, roles: tuple[str, ...] = ("RootMail.ReadWrite",), *, key: SigningKey | None = None,
              audience: str = AUDIENCE, issuer: str | None = None, expires_in: int = 3600, headers: dict | None = None,
              **claims: Any) -> str:
        """An app-only access token as Entra ID v2 issues it for client credentials."""
        now = int(time.time())
        key = key or self.published[0]
        body = {"aud": audience, "iss": issuer or self.issuer, "iat": now - 60, "nbf": now - 60,
                "exp": now + expires_in, "tid": self.tenant_id, "oid": PIPELINE_OID, "sub": PIPELINE_OID,
                "azp": PIPELINE_APP, "azpacr": "1", "roles": list(roles), "ver": "2.0"}
        body.update(claims)
        return jwt.encode({k: v for k, v in body.items() if v is not None}, key.private, algorithm="RS256",
                          headers={"kid": key.kid, **(headers or {})})

    def unsigned_token(self, roles: tuple[str, ...] = ("RootMail.ReadWrite",)) -> str:
        """`alg: none`, otherwise perfect: the classic forgery."""
        now = int(time.time())
        body = {"aud": AUDIENCE, "iss": self.issuer, "exp": now + 3600, "tid": self.tenant_id, "oid": PIPELINE_OID,
                "roles": list(roles)}
        return jwt.encode(body, None, algorithm="none", headers={"kid": self.published[0].kid})

    async def _fault(self, request: web.Request) -> web.Response | None:
        self.requests.append(request.path)
        if self.failures:
            self.failures -= 1
            return web.json_response({"error": "temporarily_unavailable"}, status=503)
        return None

    async def _metadata(self, request: web.Request) -> web.Response:
        if fault := await self._fault(request):
            return fault
        tenant = request.match_info["tenant"]
        return web.json_response({"issuer": f"{self.url}/{tenant}/v2.0",
                                  "jwks_uri": f"{self.url}/{tenant}/discovery/v2.0/keys",
                                  "id_token_signing_alg_values_supported": ["RS256"]})

    async def _keys(self, request: web.Request) -> web.Response:
        if fault := await self._fault(request):
            return fault
        return web.json_response({"keys": [key.jwk() for key in self.published]})
