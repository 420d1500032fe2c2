"""What RootMail asks AWS for centralized root access (implemented by aws.root.client), and how AWS says no.

Every refusal is one of the errors below, each with a message an admin can act on; the edge decides by AWS's error
code, never by text. Where the AWS documentation does not say how a call fails (AssumeRoot documents only
ExpiredTokenException and RegionDisabledException), RootMail checks first what it can (the features, the
organization's members, its management account) so the usual causes are named before any root session is asked for.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.errors import RootMailError
from core.root_access.model import Credentials, SessionSpec


class RootAccessError(RootMailError):
    """AWS refused or failed; the message is safe to show and says what to do."""

    kind = "refused"


class FeatureDisabled(RootAccessError):
    kind = "feature-disabled"

    def __init__(self, missing: tuple[str, ...]):
        self.missing = missing
        steps = {"RootSessions": "aws iam enable-organizations-root-sessions",
                 "RootCredentialsManagement": "aws iam enable-organizations-root-credentials-management"}
        super().__init__(f"Centralized root access is not enabled in the organization: {', '.join(missing)} "
                         f"{'is' if len(missing) == 1 else 'are'} off. In the management account run "
                         f"{' and '.join(steps[m] for m in missing if m in steps)} (after aws organizations "
                         "enable-aws-service-access --service-principal iam.amazonaws.com).")


class NotDelegatedAdmin(RootAccessError):
    kind = "not-delegated-admin"

    def __init__(self, role_arn: str):
        super().__init__(f"{role_arn} is in neither the management account nor the delegated administrator for IAM "
                         "(AccountNotManagementOrDelegatedAdministrator). Deploy RootMail's root-access role there, or "
                         "register its account: aws organizations register-delegated-administrator "
                         "--service-principal iam.amazonaws.com --account-id <account id>.")


class NotMember(RootAccessError):
    kind = "not-member"

    def __init__(self, account_id: str):
        super().__init__(f"AWS account {account_id} is not an active member of the organization, so it has no root "
                         "session RootMail could ask for.")


class ManagementAccount(RootAccessError):
    kind = "management-account"

    def __init__(self, account_id: str):
        super().__init__(f"AWS account {account_id} is the organization's management account. Centralized root "
                         "access manages member accounts only; the management account's root user is its own.")


class Throttled(RootAccessError):
    kind = "throttled"


class Unavailable(RootAccessError):
    """AWS could not be reached or failed (5xx); nothing was changed that RootMail knows of."""

    kind = "unavailable"


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    state: str = "ACTIVE"  # ACTIVE | SUSPENDED | PENDING_CLOSURE | CLOSED


@dataclass(frozen=True)
class Organization:
    management_account: str
    members: tuple[Member, ...]  # every account but the management account

    def member(self, account_id: str) -> Member | None:
        return next((m for m in self.members if m.id == account_id), None)


@dataclass(frozen=True)
class Outcome:
    """What a root session did: when AWS says it expires, and what changed, in words for the card."""

    expires_at: datetime | None
    done: str
    credentials: Credentials | None = None  # the audit's findings


class RootAccessApi(Protocol):
    role_arn: str

    async def features(self) -> frozenset[str]:
        """iam:ListOrganizationsFeatures. Raises NotDelegatedAdmin, RootAccessError, Throttled, Unavailable."""

    async def organization(self) -> Organization:
        """The management account and the members (organizations:DescribeOrganization, ListAccounts)."""

    async def audit(self, account_id: str, session: SessionSpec) -> Outcome:
        """AssumeRoot with IAMAuditRootUserCredentials, then GetLoginProfile, ListAccessKeys, ListMFADevices,
        ListSigningCertificates; `Outcome.credentials` holds what was found."""

    async def delete_credentials(self, account_id: str, kinds: tuple[str, ...], session: SessionSpec) -> Outcome:
        """AssumeRoot with IAMDeleteRootUserCredentials; delete the password, access keys and signing certificates
        and deactivate MFA devices, of the kinds named."""

    async def allow_recovery(self, account_id: str, session: SessionSpec) -> Outcome:
        """AssumeRoot with IAMCreateRootUserPassword; CreateLoginProfile without a password, so "Forgot password"
        works for the root e-mail."""

    async def unlock_bucket(self, account_id: str, bucket: str, session: SessionSpec) -> Outcome:
        """AssumeRoot with S3UnlockBucketPolicy; DeleteBucketPolicy."""

    async def unlock_queue(self, account_id: str, queue_url: str, session: SessionSpec) -> Outcome:
        """AssumeRoot with SQSUnlockQueuePolicy; remove the queue's policy (SetQueueAttributes, Policy empty)."""
