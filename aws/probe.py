"""Read-only probes of RootMail's two AWS roles, for the doctor: can each be assumed, and may it make the calls RootMail
makes? Nothing is changed in AWS. Each probe says what it saw and, when it failed, the exact fix."""
from __future__ import annotations

from typing import Any, Callable

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, CredentialRetrievalError

from aws.credentials import WEB_IDENTITY, RoleAccess, RoleSession, TokenSource
from core.probe import Probe

SESSION_NAME = "rootmail-doctor"  # CloudTrail shows the doctor's calls under this session name
ACCOUNT_SERVICE = "account.amazonaws.com"
_CONFIG = Config(connect_timeout=5, read_timeout=15, retries={"mode": "standard", "max_attempts": 2})


class _Stop(Exception):
    """A probe failed in a way that makes the next ones pointless (the role could not be assumed)."""


def probe_org_reader(role_arn: str, region: str, external_id: str = "", web_identity: TokenSource | None = None,
                     endpoint_url: str | None = None) -> tuple[list[Probe], list[str]]:
    """The organization reader (`sync`): assumed, and may list the organization's accounts. Also returns the ids it
    saw, so the adopter can be probed on a real member account."""
    organizations = _session(role_arn, region, external_id, web_identity, endpoint_url).client("organizations")
    found: list[Probe] = []
    try:
        accounts = _call(found, role_arn, "organizations:ListAccounts",
                         lambda: organizations.list_accounts(MaxResults=20)["Accounts"])
    except _Stop:
        return found, []
    found[-1:] = [_assumed(role_arn, web_identity), Probe("organizations:ListAccounts", True, "allowed")]
    return found, [str(a.get("Id")) for a in accounts]


def probe_adopter(role_arn: str, region: str, external_id: str = "", web_identity: TokenSource | None = None,
                  endpoint_url: str | None = None, accounts: list[str] = ()) -> list[Probe]:
    """The adopter (`adopt`): assumed; the calls its preflight makes (the organization, trusted access for AWS
    Account Management); and account:GetPrimaryEmail on one member account, read only."""
    role = _session(role_arn, region, external_id, web_identity, endpoint_url)
    organizations, account = role.client("organizations"), role.client("account")
    found: list[Probe] = []
    try:
        described = _call(found, role_arn, "organizations:DescribeOrganization",
                          lambda: organizations.describe_organization()["Organization"])
        management = str(described.get("MasterAccountId", ""))
        found[-1:] = [_assumed(role_arn, web_identity), Probe(
            "organizations:DescribeOrganization", True, f"organization {described.get('Id')}, management account "
            f"{management}")]
        services = _call(found, role_arn, "organizations:ListAWSServiceAccessForOrganization",
                         lambda: organizations.list_aws_service_access_for_organization()["EnabledServicePrincipals"])
        enabled = any(s.get("ServicePrincipal") == ACCOUNT_SERVICE for s in services)
        found.append(Probe("trusted access for AWS Account Management", enabled,
                           "enabled" if enabled else "not enabled: RootMail cannot change root e-mail addresses",
                           "" if enabled else "in the management account: aws organizations enable-aws-service-access "
                           f"--service-principal {ACCOUNT_SERVICE}"))
        member = next((a for a in accounts if a != management), "")
        if not member:
            found.append(Probe("account:GetPrimaryEmail", None, "no member account to read: set ROOTMAIL_ORG_ROLE_ARN "
                               "so the doctor can list one"))
            return found
        _call(found, role_arn, "account:GetPrimaryEmail",
              lambda: account.get_primary_email(AccountId=member)["PrimaryEmail"],
              f"allowed, read for account {member}")
    except _Stop:
        pass
    return found


def _assumed(role_arn: str, web_identity: TokenSource | None) -> Probe:
    return Probe(f"assume {role_arn}", True, "assumed" + (" with an Entra ID token" if web_identity else ""))


def _session(role_arn: str, region: str, external_id: str, web_identity: TokenSource | None,
             endpoint_url: str | None) -> RoleSession:
    return RoleSession(RoleAccess(role_arn, SESSION_NAME, region, external_id, web_identity, endpoint_url, 900),
                       _CONFIG)


def _call(found: list[Probe], role_arn: str, action: str, call: Callable[[], Any], detail: str = "allowed") -> Any:
    """Run one read; record it as passed, or as failed with its fix and stop the probe."""
    try:
        result = call()
    except ClientError as error:
        found.append(_refused(error, role_arn, action))
        raise _Stop from None
    except CredentialRetrievalError as error:
        found.append(Probe(f"assume {role_arn}", False, f"no Entra ID token: {str(error)[:300]}",
                           "check ROOTMAIL_AWS_WEB_IDENTITY_AUDIENCE (the AWS federation app's App ID URI) and "
                           "ROOTMAIL_MANAGED_IDENTITY_CLIENT_ID"))
        raise _Stop from None
    except BotoCoreError as error:
        found.append(Probe(action, False, f"AWS did not answer ({type(error).__name__}): {str(error)[:200]}",
                           "check this host's network access to AWS (STS and the service's endpoint)"))
        raise _Stop from None
    found.append(Probe(action, True, detail))
    return result


def _refused(error: ClientError, role_arn: str, action: str) -> Probe:
    code = error.response.get("Error", {}).get("Code", "") or "refused"
    message = str(error.response.get("Error", {}).get("Message", ""))[:200]
    if error.operation_name == "AssumeRole":
        return Probe(f"assume {role_arn}", False, f"{code}: {message}",
                     "the role's trust policy must allow sts:AssumeRole for this host's AWS principal (and name the "
                     "external id in ROOTMAIL_ORG_EXTERNAL_ID, if one is required)")
    if error.operation_name == WEB_IDENTITY:
        return Probe(f"assume {role_arn}", False, f"{code}: {message}",
                     "deploy infra/aws/rootmail-roles.yaml with this tenant and identity: the IAM OIDC provider must "
                     "name the token's issuer and audience, the role's trust its audience and subject")
    return Probe(action, False, f"{code}: {message}", f"allow {action} in the policy of {role_arn} "
                 "(infra/aws/rootmail-roles.yaml has the least-privilege policy)")
