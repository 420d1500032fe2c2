"""AWS Organizations through boto3: assume a read-only role in the management account and list every account.
boto3 is blocking, so each listing runs in a worker thread; botocore's errors become core's SyncFailed."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from core.adoption.reconcile import OrgAccount, SyncFailed

logger = logging.getLogger(__name__)

PAGE_SIZE = 20  # ListAccounts returns at most 20 accounts per call
SESSION_NAME = "rootmail-org-sync"
_CONFIG = Config(connect_timeout=10, read_timeout=30, retries={"mode": "standard", "max_attempts": 5})


class OrganizationsAccounts:
    """An AccountSource. `endpoint_url` is for tests against a local AWS fake; production leaves it None."""

    def __init__(self, role_arn: str, region: str = "us-east-1", external_id: str = "",
                 endpoint_url: str | None = None):
        self.role_arn, self.region, self.external_id, self.endpoint_url = role_arn, region, external_id, endpoint_url

    async def accounts(self) -> list[OrgAccount]:
        return await asyncio.to_thread(self._list)

    def _list(self) -> list[OrgAccount]:
        try:
            organizations = self._client()
            pages = organizations.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
            return [_account(raw) for page in pages for raw in page.get("Accounts", [])]
        except ClientError as error:
            raise SyncFailed(_explain(error, self.role_arn)) from None
        except BotoCoreError as error:
            raise SyncFailed(f"Could not reach AWS ({type(error).__name__}): {error}") from None

    def _client(self) -> Any:
        session = boto3.session.Session(region_name=self.region)
        sts = session.client("sts", config=_CONFIG, endpoint_url=self.endpoint_url)
        options: dict[str, Any] = {"RoleArn": self.role_arn, "RoleSessionName": SESSION_NAME, "DurationSeconds": 900}
        if self.external_id:
            options["ExternalId"] = self.external_id
        credentials = sts.assume_role(**options)["Credentials"]
        return session.client("organizations", config=_CONFIG, endpoint_url=self.endpoint_url,
                              aws_access_key_id=credentials["AccessKeyId"],
                              aws_secret_access_key=credentials["SecretAccessKey"],
                              aws_session_token=credentials["SessionToken"])


def _account(raw: dict[str, Any]) -> OrgAccount:
    # `State` replaces the deprecated `Status` (ACTIVE | SUSPENDED | PENDING_CLOSURE, and CLOSED in `State`)
    return OrgAccount(id=str(raw["Id"]), email=str(raw.get("Email", "")), name=str(raw.get("Name", "")),
                      state=str(raw.get("State") or raw.get("Status") or "ACTIVE").upper())


def _explain(error: ClientError, role_arn: str) -> str:
    code = error.response.get("Error", {}).get("Code", "")
    operation = error.operation_name
    if operation == "AssumeRole":
        return (f"RootMail could not assume {role_arn} ({code}). Check the role's trust policy names RootMail's "
                "identity (and the external id, if one is set).")
    if code == "AWSOrganizationsNotInUseException":
        return "The role's account is not in an AWS organization."
    if code in ("AccessDeniedException", "AccessDenied"):
        return (f"{role_arn} may not list the organization's accounts ({code}). It must be in the management "
                "account (or a delegated administrator) with organizations:ListAccounts.")
    return f"AWS Organizations refused {operation} ({code})."
