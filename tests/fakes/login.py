"""Microsoft's login services at their real https URLs, answered by the fakes: Entra ID tenants
(login.microsoftonline.com, tests.fakes.jwks) and the Bot Framework's keys (login.botframework.com,
tests.fakes.botframework).

botbuilder fetches the Bot Framework keys, and MSAL asks Entra for the bot's tokens, at fixed https addresses through
the `requests` library, so these are reached by intercepting `requests` (the responses library) instead of through a
loopback URL. Everything else `requests` is asked for is refused, except loopback.
"""
from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import responses

from tests.fakes.botframework import (BOT_FRAMEWORK_API, BOT_FRAMEWORK_TENANT, KEYS_URL, METADATA_URL,
                                      BotFrameworkChannel)
from tests.fakes.jwks import LOGIN, ClientApp, FakeTenant, entra_error

BOT_APP_ID = "9b5c3f3e-0000-4000-8000-000000000001"
BOT_SECRET = "bot-secret-for-tests-only"
ENTRA = re.compile(re.escape(LOGIN) + r"/(?P<tenant>[^/?]+)/(?P<path>[^?]*)")
# MSAL asks which hosts are one cloud before it uses a cached token (msal/application.py _get_instance_metadata: GET
# https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=...; the answer's
# "metadata" lists alias groups). Entra answers the public cloud's group; a refused discovery fails every token.
INSTANCE_DISCOVERY = {"tenant_discovery_endpoint": f"{LOGIN}/common/v2.0/.well-known/openid-configuration",
                      "api-version": "1.1", "metadata": [{
                          "preferred_network": "login.microsoftonline.com", "preferred_cache": "login.windows.net",
                          "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com",
                                      "sts.windows.net"]}]}
LOOPBACK = re.compile(r"https?://(127\.0\.0\.1|localhost|\[::1\])[:/]")


@dataclass
class MicrosoftLogin:
    tenants: list[FakeTenant]
    channel: BotFrameworkChannel = field(default_factory=BotFrameworkChannel)
    calls: list[str] = field(default_factory=list)  # "METHOD url" of every request answered
    mock: responses.RequestsMock | None = None  # while intercepting

    @classmethod
    def for_bot(cls, home: FakeTenant, app_id: str = BOT_APP_ID, secret: str = BOT_SECRET, *,
                multi_tenant: bool = False) -> "MicrosoftLogin":
        """The bot's app registration in its home tenant; that tenant and the Bot Framework's both know the Bot
        Connector's API (every tenant using bots has its service principal)."""
        home.apps[app_id] = ClientApp(secret, multi_tenant)
        home.resources.setdefault(BOT_FRAMEWORK_API, "1.0")
        framework = FakeTenant(BOT_FRAMEWORK_TENANT, ("botframework.com",), home.published,
                               resources={BOT_FRAMEWORK_API: "1.0"})
        return cls([home, framework])

    def tenant(self, segment: str) -> FakeTenant | None:
        return next((t for t in self.tenants if t.knows(segment)), None)

    def entra(self, method: str, url: str, body: str = "") -> tuple[int, dict[str, Any]]:
        """What Entra answers at `url`."""
        self.calls.append(f"{method} {url}")
        match = ENTRA.match(url)
        if method == "GET" and match and match["tenant"] == "common" and match["path"] == "discovery/instance":
            return 200, INSTANCE_DISCOVERY
        segment = match["tenant"] if match else url
        tenant = self.tenant(segment)
        if tenant is None:
            return 400, entra_error("invalid_request", 90002, f"Tenant '{segment}' not found.")
        path = match["path"]
        if method == "POST" and path in ("oauth2/v2.0/token", "oauth2/token"):
            every_app = {client: app for t in self.tenants for client, app in t.apps.items()}
            return tenant.token_response(segment, body, every_app)
        if method == "GET" and path.endswith(".well-known/openid-configuration"):
            return tenant.metadata(segment, "2.0" if path.startswith("v2.0/") else "1.0", LOGIN)
        if method == "GET" and path in ("discovery/v2.0/keys", "discovery/keys"):
            return 200, tenant.keys()
        return 404, {"error": "not_found", "error_description": f"no fake of {path}: RootMail never calls it"}

    def botframework(self, url: str) -> tuple[int, dict[str, Any]]:
        self.calls.append(f"GET {url}")
        return (200, self.channel.metadata()) if url == METADATA_URL else (200, self.channel.keys())

    @contextmanager
    def intercepting(self) -> Iterator[responses.RequestsMock]:
        def entra(request) -> tuple[int, dict, str]:
            body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
            status, answer = self.entra(request.method, request.url, body)
            return status, {"Content-Type": "application/json"}, json.dumps(answer)

        def botframework(request) -> tuple[int, dict, str]:
            status, answer = self.botframework(request.url)
            return status, {"Content-Type": "application/json"}, json.dumps(answer)

        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            for method in (responses.GET, responses.POST):
                mock.add_callback(method, re.compile(re.escape(LOGIN) + "/.*"), callback=entra)
            for url in (METADATA_URL, KEYS_URL):
                mock.add_callback(responses.GET, url, callback=botframework)
            mock.add_passthru(LOOPBACK)
            self.mock = mock
            try:
                yield mock
            finally:
                self.mock = None
