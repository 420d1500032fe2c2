"""The botbuilder CloudAdapter RootMail's turns run on, built from settings, and the check of every activity's token.

Who signs what (MicrosoftDocs/bot-docs, articles/rest-api/bot-framework-rest-connector-authentication.md):
- Teams (the Bot Connector) signs each activity it posts to the bot: iss https://api.botframework.com, aud the bot's
  app id, a serviceurl claim, keys from https://login.botframework.com/v1/.well-known/openidconfiguration endorsed for
  the channel. The page draws no line between bot types here, and botbuilder 4.17.1 checks these tokens the same way
  for SingleTenant, MultiTenant and UserAssignedMSI (ChannelValidation); tests/integration/identity shows it.
- The bot's own calls carry a token from Entra ID: for a single-tenant bot from its tenant's authority
  (login.microsoftonline.com/{tenant}, which botbuilder's credentials use when MicrosoftAppType=SingleTenant and
  MicrosoftAppTenantId is set), for a multi-tenant one from login.microsoftonline.com/botframework.com.
Not settled by the docs: Microsoft's newer SDKs (Agents SDK, Teams SDK) also accept activity tokens issued by Entra ID
for the bot's own tenant (iss https://sts.windows.net/{tenant}/ or …/{tenant}/v2.0), for agent identities. Any app in
the tenant can get such a token for the bot's app id, and it carries no serviceurl a bot could hold it to, so RootMail
refuses them, as botbuilder does, and says so in the log.
"""
from __future__ import annotations

import logging

import jwt
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import AppCredentials, AuthenticateRequestResult

from settings import Settings

logger = logging.getLogger(__name__)

ENTRA_ISSUERS = ("https://sts.windows.net/{tenant}/", "https://login.microsoftonline.com/{tenant}/v2.0")


class _BotConfig:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings):
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        # without an app id botbuilder runs unauthenticated (local runs, the Playground); only its password factory,
        # which it builds for MultiTenant, allows that: the single-tenant ones insist on an app id
        self.APP_TYPE = settings.app_type if settings.app_id else "MultiTenant"
        self.APP_TENANTID = settings.app_tenant_id


class ActivityAuthentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's own authentication, with every token it cannot accept answered 401.

    botbuilder 4.17.1 raises PermissionError (401) for most bad tokens, but lets others out as whatever broke: a key id
    the Bot Framework does not publish is an IndexError (jwt_token_extractor._OpenIdMetadata._find), a disallowed
    algorithm or a missing channel endorsement a bare Exception, a malformed token a jwt.DecodeError; each was a 500.
    A failure to fetch the keys (OSError, as requests' errors are) stays an error: Teams tries a 5xx again."""

    def __init__(self, configuration: _BotConfig):
        super().__init__(configuration)
        tenant = configuration.APP_TENANTID
        self._own_entra_issuers = {issuer.format(tenant=tenant) for issuer in ENTRA_ISSUERS} if tenant else set()

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            return await super().authenticate_request(activity, auth_header)
        except PermissionError as error:
            self._log_refusal(auth_header, error)
            raise
        except OSError:  # the keys could not be fetched (requests' errors are OSErrors too)
            raise
        except Exception as error:  # any other failure means the token was not accepted
            self._log_refusal(auth_header, error)
            raise PermissionError("The activity's token is not accepted.") from None

    def _log_refusal(self, auth_header: str, error: Exception) -> None:
        issuer = _unverified_issuer(auth_header)
        if issuer in self._own_entra_issuers:
            logger.warning("refused an activity token issued by Entra ID for the bot's own tenant, not by the Bot "
                           "Framework (https://api.botframework.com); see bot/adapter.py",
                           extra={"issuer": issuer, "error": type(error).__name__})
        else:
            logger.info("refused an activity's token", extra={"issuer": issuer, "error": type(error).__name__})


def _unverified_issuer(auth_header: str) -> str:
    try:
        issuer = jwt.decode(auth_header.partition(" ")[2], options={"verify_signature": False}).get("iss")
    except (jwt.PyJWTError, AttributeError):
        return ""
    return str(issuer)[:200] if issuer else ""


def bot_adapter(settings: Settings) -> CloudAdapter:
    _cheaper_client_construction()
    adapter = CloudAdapter(ActivityAuthentication(_BotConfig(settings)))
    adapter.on_turn_error = _on_turn_error
    return adapter


async def bot_credentials(adapter: CloudAdapter, app_id: str, service_url: str) -> AppCredentials:
    """The credentials botbuilder's own connector client would use to call `service_url` as this bot: app secret,
    certificate or managed identity, from the authority its app type and tenant name."""
    factory = adapter.bot_framework_authentication.create_connector_factory(adapter.create_claims_identity(app_id))
    client = await factory.create(service_url, None)
    return client.config.credentials


async def _on_turn_error(turn_context, error: Exception) -> None:
    logger.error("unhandled error in a turn", exc_info=error)


def _cheaper_client_construction() -> None:
    """botbuilder builds msrest clients for every turn and every call it makes for us (replies, Reveal's 1:1 chat),
    and each scans a 500-item list 999 times (msrest ClientRetryPolicy.safe_codes): 3 ms of CPU per client. The
    same codes as a frozenset answer the same membership tests in O(1)."""
    from msrest.universal_http.requests import ClientRetryPolicy

    if not isinstance(ClientRetryPolicy.safe_codes, frozenset):
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)
