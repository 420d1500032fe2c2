"""The Bot Framework service as a bot meets it: the OpenID metadata and endorsed signing keys it publishes at
login.botframework.com, and the token it signs onto every activity it posts to the bot.

Source: MicrosoftDocs/bot-docs, articles/rest-api/bot-framework-rest-connector-authentication.md, "Authenticate
requests from the Bot Connector service to your bot" (learn.microsoft.com/azure/bot-service/rest-api/
bot-framework-rest-connector-authentication): the metadata document at a static URL names the issuer
https://api.botframework.com and the keys URL; each key carries `endorsements` (the channel ids it may sign for); the
token has iss https://api.botframework.com, aud the bot's Microsoft App ID, a serviceUrl claim equal to the activity's
serviceUrl, and is RS256-signed. The page draws no line between single- and multi-tenant bots for this direction, so
the same token reaches both (botbuilder-python reads the claim as `serviceurl`: botframework/connector/auth/
authentication_constants.py SERVICE_URL_CLAIM).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.jwks import SigningKey

METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
KEYS_URL = "https://login.botframework.com/v1/.well-known/keys"
ISSUER = "https://api.botframework.com"
ENDORSEMENTS = ("msteams", "webchat", "directline")
BOT_FRAMEWORK_API = "https://api.botframework.com"  # the resource (scope .default) of the bot's Bot Connector tokens
# The Bot Framework's own tenant: multi-tenant bots get their Bot Connector tokens from
# login.microsoftonline.com/botframework.com, issued by sts.windows.net/d6d49420-…/ (same page, "Bot to Connector:
# example JWT components"); single-tenant bots from their own tenant's authority ("Step 1", single-tenant tab).
BOT_FRAMEWORK_TENANT = "d6d49420-f39b-4df7-a1dc-d59a935871db"


@dataclass
class BotFrameworkChannel:
    published: list[SigningKey] = field(default_factory=lambda: [SigningKey.shared("botframework", ENDORSEMENTS)])
    requests: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        self.requests.append(METADATA_URL)
        return {"issuer": ISSUER, "authorization_endpoint": "https://invalid.botframework.com", "jwks_uri": KEYS_URL,
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"]}

    def keys(self) -> dict[str, Any]:
        self.requests.append(KEYS_URL)
        return {"keys": [key.jwk() for key in self.published]}

    def activity_token(self, app_id: str, service_url: str, *, key: SigningKey | None = None,
                       expires_in: int = 3600, **claims: Any) -> str:
        """The bearer the Bot Framework puts on an activity it posts to the bot `app_id`; `claims` replace any
        (None drops one)."""
        now = int(time.time())
        body = {"serviceurl": service_url, "nbf": now - 60, "exp": now + expires_in, "iss": ISSUER, "aud": app_id}
        signer = key or self.published[0]
        return signer.sign(body | claims, {"x5t": signer.kid})
