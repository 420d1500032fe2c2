"""AWS Organizations through boto3: assume a read-only role in the management account and list every account.
boto3 is blocking, so each listing runs in a worker thread; botocore's errors become core's SyncFailed. The role's
credentials (keyless with an Entra ID token, or AssumeRole on boto3's chain) come from aws.credentials."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, CredentialRetrievalError

from aws.credentials import WEB_IDENTITY, RoleAccess, RoleSession, TokenSource
from core.adoption.reconcile import OrgAccount, SyncFailed

logger = logging.getLogger(__name__)

PAGE_SIZE = 20  # ListAccounts returns at most 20 accounts per call
SESSION_NAME = "rootmail-org-sync"
SESSION_SECONDS = 3600  # kept between syncs; botocore renews them 15 minutes before they expire
_CONFIG = Config(connect_timeout=10, read_timeout=30, retries={"mode": "standard", "max_attempts": 5})


class OrganizationsAccounts:
    """An AccountSource. `endpoint_url` is for tests against a local AWS fake; production leaves it None.
    `web_identity`: keyless, the role is assumed with that token; else AssumeRole on boto3's default chain."""

    def __init__(self, role_arn: str, region: str = "us-east-1", external_id: str = "",
                 endpoint_url: str | None = None, web_identity: TokenSource | None = None):
        self.role_arn = role_arn
        role = RoleSession(RoleAccess(role_arn, SESSION_NAME, region, external_id, web_identity, endpoint_url,
                                      SESSION_SECONDS), _CONFIG)
        self._organizations = role.client("organizations")

    async def accounts(self) -> list[OrgAccount]:
        return await asyncio.to_thread(self._list)

    def _list(self) -> list[OrgAccount]:
        try:
            pages = self._organizations.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
            return [_account(raw) for page in pages for raw in page.get("Accounts", [])]
        except ClientError as error:
            raise SyncFailed(_explain(error, self.role_arn)) from None
        except CredentialRetrievalError as error:
            raise SyncFailed(f"RootMail has no Entra ID token to assume {self.role_arn}: {error}") from None
        except BotoCoreError as error:
            raise SyncFailed(f"Could not reach AWS ({type(error).__name__}): {error}") from None


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
    if operation == WEB_IDENTITY:
        return (f"AWS STS refused RootMail's Entra ID token for {role_arn} ({code}). The IAM OIDC provider must name "
                "the token's issuer and audience, and the role's trust policy its audience and subject "
                "(infra/aws/rootmail-roles.yaml).")
    if code == "AWSOrganizationsNotInUseException":
        return "The role's account is not in an AWS organization."
    if code in ("AccessDeniedException", "AccessDenied"):
        return (f"{role_arn} may not list the organization's accounts ({code}). It must be in the management "
                "account (or a delegated administrator) with organizations:ListAccounts.")
    return f"AWS Organizations refused {operation} ({code})."
