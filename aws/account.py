"""AWS Account Management through boto3: change a member account's root e-mail (StartPrimaryEmailUpdate, then
AcceptPrimaryEmailUpdate with the code AWS mailed) from a role in the management account. boto3 blocks, so every
call runs in a worker thread of the client's own pool: slow AWS answers never take the threads mail parsing needs.
botocore's errors become core.adoption.states's errors, decided by error code, never by text."""
from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, CredentialRetrievalError

from aws.credentials import WEB_IDENTITY, RoleAccess, RoleSession, TokenSource
from core.adoption.states import AccessRefused, CodeRejected, NotEligible, OrgFacts, Transient
from core.intake.redact import redact

logger = logging.getLogger(__name__)

ACCOUNT_MANAGEMENT = "account.amazonaws.com"  # the service principal trusted access is enabled for
SESSION_NAME = "rootmail-adopt"
SESSION_SECONDS = 3600
THROTTLED = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling"})
DENIED = frozenset({"AccessDeniedException", "AccessDenied"})
# AssumeRoleWithWebIdentity's refusals of the token or the trust (API reference, Errors): fixed by configuration
TOKEN_REFUSED = frozenset({"InvalidIdentityToken", "ExpiredTokenException", "IDPRejectedClaim", "AccessDenied",
                           "PackedPolicyTooLarge", "MalformedPolicyDocument"})


class AccountClient:
    """Implements core.adoption.states.AccountApi. `endpoint_url` is for tests against a local AWS fake; production leaves it
    None. `attempts`: botocore's own tries of one call (standard retry mode) before RootMail's backoff takes over.
    `web_identity`: keyless, the role is assumed with that token (aws.credentials); else AssumeRole on boto3's chain."""

    def __init__(self, role_arn: str, region: str = "us-east-1", external_id: str = "",
                 endpoint_url: str | None = None, attempts: int = 4, threads: int = 8,
                 web_identity: TokenSource | None = None):
        self.role_arn = role_arn
        config = Config(connect_timeout=10, read_timeout=30,
                        retries={"mode": "standard", "total_max_attempts": max(attempts, 1)})
        role = RoleSession(RoleAccess(role_arn, SESSION_NAME, region, external_id, web_identity, endpoint_url,
                                      SESSION_SECONDS), config)
        self._clients = (role.client("account"), role.client("organizations"))  # clients are thread-safe
        self._pool = ThreadPoolExecutor(max_workers=max(threads, 1), thread_name_prefix="aws-account")

    async def organization(self) -> OrgFacts:
        return await self._off_loop(self._organization)

    async def start_update(self, account_id: str, email: str) -> None:
        await self._off_loop(self._call, "StartPrimaryEmailUpdate", AccountId=account_id, PrimaryEmail=email)

    async def accept_update(self, account_id: str, email: str, code: str) -> None:
        await self._off_loop(self._call, "AcceptPrimaryEmailUpdate", AccountId=account_id, PrimaryEmail=email,
                             Otp=code)

    async def primary_email(self, account_id: str) -> str:
        answer = await self._off_loop(self._call, "GetPrimaryEmail", AccountId=account_id)
        return str(answer.get("PrimaryEmail", ""))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _off_loop(self, work, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(work, *args, **kwargs))

    # --- in the worker thread ---------------------------------------------------------------------------------------
    def _organization(self) -> OrgFacts:
        """Unreadable parts stay unknown: the role may lack organizations:Describe* and still adopt."""
        organizations = self._clients[1]
        management, trusted = "", None
        try:
            management = organizations.describe_organization()["Organization"].get("MasterAccountId", "")
        except ClientError as error:
            if error.operation_name.startswith("AssumeRole"):
                raise translate(error, self.role_arn) from None
            logger.warning("could not read the organization's management account", extra={"error": _name(error)})
        except CredentialRetrievalError as error:
            raise _no_token(error, self.role_arn) from None
        except BotoCoreError as error:
            logger.warning("could not read the organization's management account", extra={"error": _name(error)})
        try:
            pages = organizations.get_paginator("list_aws_service_access_for_organization").paginate()
            trusted = any(s.get("ServicePrincipal") == ACCOUNT_MANAGEMENT
                          for page in pages for s in page.get("EnabledServicePrincipals", []))
        except (ClientError, BotoCoreError) as error:
            logger.warning("could not read the organization's trusted access", extra={"error": _name(error)})
        return OrgFacts(str(management), trusted)

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        method = "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
        try:
            return getattr(self._clients[0], method)(**params)
        except ClientError as error:
            raise translate(error, self.role_arn) from None
        except CredentialRetrievalError as error:
            raise _no_token(error, self.role_arn) from None
        except BotoCoreError as error:
            raise Transient(f"AWS could not be reached ({type(error).__name__})", throttled=False) from None


def translate(error: ClientError, role_arn: str) -> Exception:
    """A botocore ClientError as the core error that says what happened and what to do."""
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    operation = error.operation_name
    said = redact(str(error.response.get("Error", {}).get("Message", "")))[:200]
    if operation == "AssumeRole":
        if code in THROTTLED:
            return Transient(f"AWS STS throttled RootMail ({code})")
        return AccessRefused(f"RootMail could not assume {role_arn} ({code}); check the role's trust policy names "
                             "RootMail's identity (and the external id, if one is set)")
    if operation == WEB_IDENTITY:
        if code in TOKEN_REFUSED:
            return AccessRefused(f"AWS STS refused RootMail's Entra ID token for {role_arn} ({code}: {said}); the "
                                 "IAM OIDC provider must name the token's issuer and audience, and the role's trust "
                                 "policy its audience and subject (infra/aws/rootmail-roles.yaml)")
        return Transient(f"AWS STS could not take RootMail's Entra ID token ({code or status})",
                         throttled=code in THROTTLED)
    if code in THROTTLED or status == 429:
        return Transient(f"AWS throttled {operation} ({code or status})")
    if code == "InternalServerException" or status >= 500:
        return Transient(f"AWS failed {operation} ({code or status})", throttled=False)
    if code in DENIED:
        return AccessRefused(f"{role_arn} may not call account:{operation} ({code}). The role must be in the "
                             "management account (or a delegated administrator) and allow account:GetPrimaryEmail, "
                             "account:StartPrimaryEmailUpdate and account:AcceptPrimaryEmailUpdate, and trusted access "
                             "for AWS Account Management must be enabled in the organization")
    if operation == "AcceptPrimaryEmailUpdate" and code == "ValidationException":
        return CodeRejected(f"{code}: {said}" if said else code)
    if operation == "AcceptPrimaryEmailUpdate" and code == "ResourceNotFoundException":
        return CodeRejected("AWS has no pending change of this account's root e-mail (it expired or was replaced)")
    if code == "ResourceNotFoundException":
        return NotEligible("AWS does not know the account as a member of this organization (ResourceNotFoundException)")
    if code == "ConflictException":
        return NotEligible(f"AWS reports a conflict (ConflictException{': ' + said if said else ''}); the address may "
                           "be another account's root e-mail already")
    return NotEligible(f"AWS refused {operation} ({code or status}{': ' + said if said else ''})")


def _no_token(error: CredentialRetrievalError, role_arn: str) -> Exception:
    """No Entra ID token: the managed identity is missing or may not get tokens for the federation audience."""
    return AccessRefused(f"RootMail has no Entra ID token to assume {role_arn}: {error}")


def _name(error: Exception) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "") or type(error).__name__
    return type(error).__name__
