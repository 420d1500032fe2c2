"""The Bot Connector's check of the bearer token a bot sends with every call, for one registered bot.

Sources (MicrosoftDocs/bot-docs, articles/rest-api/):
- bot-framework-rest-connector-authentication.md, "Authenticate requests from your bot to the Bot Connector
  service": Step 1 gets the token with scope https://api.botframework.com/.default from
  login.microsoftonline.com/botframework.com for a multi-tenant bot and from login.microsoftonline.com/{tenant} for a
  single-tenant one; Step 3: the service authorizes a token that "is correctly formed, isn't expired, and was generated
  by the Microsoft Entra ID account login service", with "additional checks ... that the token belongs to the bot";
  the example token has aud https://api.botframework.com, iss https://sts.windows.net/d6d49420-…/ (the Bot Framework
  tenant) and appid the bot's id. A single-tenant bot's token comes from its own tenant, so its iss names that tenant
  (the v1.0 issuer form, entra-docs access-token-claims-reference.md `iss`): the page shows no example of it.
- bot-framework-rest-connector-api-reference.md, "HTTP status codes": 401 "The bot isn't yet authenticated". The body
  is the one Teams answers ({"message": "Authorization has been denied for this request."}, reported in
  MicrosoftDocs/msteams-docs#11153); the docs do not say which check fails with which body, so every bad token gets it.
- MicrosoftDocs/msteams-docs msteams-platform/bots/build-conversational-capability.md, "Status codes from bot
  conversational APIs": 401 BotNotRegistered "No registration found for this bot" (here: a good token of another app).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from tests.fakes.botframework import BOT_FRAMEWORK_API, BOT_FRAMEWORK_TENANT, BotFrameworkChannel
from tests.fakes.jwks import V1_ISSUER, SigningKey

DENIED = {"message": "Authorization has been denied for this request."}
NOT_REGISTERED = {"error": {"code": "BotNotRegistered", "message": "No registration found for this bot."}}


@dataclass(frozen=True)
class Refusal:
    status: int
    body: dict[str, Any]
    reason: str


@dataclass
class BotRegistration:
    """A bot as the Bot Framework knows it: app id, type, home tenant; Entra's keys check the tokens it sends, the
    Bot Framework's channel signs the activities it receives."""

    app_id: str
    tenant_id: str
    entra_keys: list[SigningKey]
    channel: BotFrameworkChannel
    app_type: str = "SingleTenant"

    @property
    def token_issuer(self) -> str:
        tenant = BOT_FRAMEWORK_TENANT if self.app_type == "MultiTenant" else self.tenant_id
        return V1_ISSUER.format(tenant=tenant)

    def activity_token(self, service_url: str) -> str:
        return self.channel.activity_token(self.app_id, service_url)

    def refusal(self, authorization: str | None) -> Refusal | None:
        """None when `authorization` carries a token of this bot that the Bot Connector accepts."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme != "Bearer" or not token:
            return Refusal(401, DENIED, "no bearer token")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.DecodeError:
            return Refusal(401, DENIED, "not a JWT")
        key = next((k for k in self.entra_keys if k.kid == kid), None)
        if key is None:
            return Refusal(401, DENIED, "signed with a key Entra ID does not publish")
        try:
            claims = jwt.decode(token, key.private.public_key(), algorithms=["RS256"], audience=BOT_FRAMEWORK_API,
                                issuer=self.token_issuer, options={"require": ["exp", "iss", "aud"]})
        except jwt.InvalidTokenError as error:
            return Refusal(401, DENIED, f"{type(error).__name__}: {error}")
        if self.app_id not in (claims.get("appid"), claims.get("azp")):
            return Refusal(401, NOT_REGISTERED, "a token of another app")
        return None
