"""AWS Account Management through boto3: change a member account's root e-mail (StartPrimaryEmailUpdate, then
AcceptPrimaryEmailUpdate with the code AWS mailed) from a role in the management account. boto3 blocks, so every
call runs in a worker thread of the client's own pool: slow AWS answers never take the threads mail parsing needs.
botocore's errors become core.adoption.states's errors, decided by error code, never by text."""
from __future__ import annotations

import asyncio
import functools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from core.adoption.states import AccessRefused, CodeRejected, NotEligible, OrgFacts, Transient
from core.intake.redact import redact

logger = logging.getLogger(__name__)

ACCOUNT_MANAGEMENT = "account.amazonaws.com"  # the service principal trusted access is enabled for
SESSION_NAME = "rootmail-adopt"
SESSION_SECONDS = 3600
RENEW_BEFORE = timedelta(minutes=5)
THROTTLED = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling"})
DENIED = frozenset({"AccessDeniedException", "AccessDenied"})


class AccountClient:
    """Implements core.adoption.states.AccountApi. `endpoint_url` is for tests against a local AWS fake; production leaves it
    None. `attempts`: botocore's own tries of one call (standard retry mode) before RootMail's backoff takes over."""

    def __init__(self, role_arn: str, region: str = "us-east-1", external_id: str = "",
                 endpoint_url: str | None = None, attempts: int = 4, threads: int = 8):
        self.role_arn, self.region, self.external_id, self.endpoint_url = role_arn, region, external_id, endpoint_url
        self._config = Config(connect_timeout=10, read_timeout=30,
                              retries={"mode": "standard", "total_max_attempts": max(attempts, 1)})
        self._pool = ThreadPoolExecutor(max_workers=max(threads, 1), thread_name_prefix="aws-account")
        self._lock = threading.Lock()
        self._clients: tuple[Any, Any] | None = None
        self._renew_at = datetime.min.replace(tzinfo=timezone.utc)

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
        organizations = self._sessions()[1]
        management, trusted = "", None
        try:
            management = organizations.describe_organization()["Organization"].get("MasterAccountId", "")
        except (ClientError, BotoCoreError) as error:
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
            return getattr(self._sessions()[0], method)(**params)
        except ClientError as error:
            raise translate(error, self.role_arn) from None
        except BotoCoreError as error:
            raise Transient(f"AWS could not be reached ({type(error).__name__})", throttled=False) from None

    def _sessions(self) -> tuple[Any, Any]:
        """(account, organizations) clients on the assumed role's credentials, renewed before they expire."""
        with self._lock:
            if self._clients is None or datetime.now(timezone.utc) >= self._renew_at:
                self._clients = self._assume()
            return self._clients

    def _assume(self) -> tuple[Any, Any]:
        session = boto3.session.Session(region_name=self.region)
        sts = session.client("sts", config=self._config, endpoint_url=self.endpoint_url)
        options: dict[str, Any] = {"RoleArn": self.role_arn, "RoleSessionName": SESSION_NAME,
                                   "DurationSeconds": SESSION_SECONDS}
        if self.external_id:
            options["ExternalId"] = self.external_id
        try:
            credentials = sts.assume_role(**options)["Credentials"]
        except ClientError as error:
            raise translate(error, self.role_arn) from None
        except BotoCoreError as error:
            raise Transient(f"AWS STS could not be reached ({type(error).__name__})", throttled=False) from None
        expires = credentials.get("Expiration")
        self._renew_at = (expires if isinstance(expires, datetime) else datetime.now(timezone.utc)
                          + timedelta(seconds=SESSION_SECONDS)) - RENEW_BEFORE
        keys = {"aws_access_key_id": credentials["AccessKeyId"], "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"]}
        return (session.client("account", config=self._config, endpoint_url=self.endpoint_url, **keys),
                session.client("organizations", config=self._config, endpoint_url=self.endpoint_url, **keys))


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


def _name(error: Exception) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "") or type(error).__name__
    return type(error).__name__
