"""infra/aws/rootmail-roles.yaml read as IAM would: the trust pins the issuer, audience and subject RootMail's tokens
carry (moto does not evaluate trust policies, tests/fakes/aws_trust.py does), and each role may do only its job."""
from __future__ import annotations

import re

import pytest

from tests.fakes.aws_trust import TEMPLATE, Stack
from tests.fakes.jwks import FakeTenant
from tests.fakes.managed_identity import ManagedIdentityEndpoint

AUDIENCE = "api://rootmail-aws-federation"
APP = "6b1f0c2e-0000-4000-8000-00000000f001"
ROLES = ("OrgReaderRole", "AdopterRole", "RootAccessRole")


@pytest.fixture
def identity() -> ManagedIdentityEndpoint:
    return ManagedIdentityEndpoint(FakeTenant())


def deploy(identity, **overrides) -> Stack:
    return Stack({"EntraTenantId": identity.tenant.tenant_id, "FederationAudience": AUDIENCE, "FederationAppId": APP,
                  "ManagedIdentityPrincipalId": identity.identity.principal_id, "OrganizationId": "o-rootmail01"}
                 | overrides)


@pytest.mark.parametrize("role", ROLES)
def test_the_trust_pins_the_issuer_audience_and_subject_of_rootmails_token(identity, role):
    stack = deploy(identity)
    token = identity.mint(AUDIENCE)  # what the managed identity endpoint hands RootMail
    claims = {"iss": identity.issuer, "aud": AUDIENCE, "sub": identity.identity.principal_id}

    [provider] = stack.providers()
    assert provider.url == identity.issuer == f"https://sts.windows.net/{identity.tenant.tenant_id}/"
    [statement] = stack.trust(stack.role_arn(role))["Statement"]
    assert statement["Principal"] == {"Federated": provider.arn}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    prefix = provider.url.removeprefix("https://")
    assert statement["Condition"] == {"StringEquals": {f"{prefix}:aud": [AUDIENCE, APP],
                                                       f"{prefix}:sub": identity.identity.principal_id}}
    assert stack.decide(stack.role_arn(role), identity.issued[-1]).allowed and token


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("change, code", [
    ({"sub": "0badc0de-0000-4000-8000-000000000000"}, "AccessDenied"),  # another identity of the tenant
    ({"aud": "api://another-app"}, "InvalidIdentityToken"),
    ({"iss": "https://login.microsoftonline.com/72f988bf-0000-4000-8000-000000000001/v2.0"}, "InvalidIdentityToken"),
    ({"iss": "https://sts.windows.net/0badc0de-0000-4000-8000-000000000000/"}, "InvalidIdentityToken"),
])
def test_any_other_token_is_refused(identity, role, change, code):
    stack = deploy(identity)
    identity.mint(AUDIENCE, **change)

    decision = stack.decide(stack.role_arn(role), identity.issued[-1])

    assert not decision.allowed and decision.code == code


def test_the_application_id_is_an_accepted_audience_too(identity):
    """A v1.0 token's aud may be the client id instead of the App ID URI (aws/entra.py)."""
    stack = deploy(identity)
    identity.mint(APP)
    assert stack.decide(stack.role_arn("AdopterRole"), identity.issued[-1]).allowed


def test_an_existing_provider_is_trusted_instead_of_a_new_one(identity):
    existing = f"arn:aws:iam::111111111111:oidc-provider/sts.windows.net/{identity.tenant.tenant_id}/"
    stack = deploy(identity, ExistingOidcProviderArn=existing)

    assert stack.providers() == []  # none created: an account holds one provider per URL
    [statement] = stack.trust(stack.role_arn("OrgReaderRole"))["Statement"]
    assert statement["Principal"] == {"Federated": existing}


def test_the_reader_only_lists_accounts(identity):
    [policy] = deploy(identity).policies("OrgReaderRole")
    assert [(s["Effect"], s["Action"], s["Resource"]) for s in policy["Statement"]] == [
        ("Allow", "organizations:ListAccounts", "*")]


def test_the_adopter_changes_root_email_only_in_this_organization(identity):
    [policy] = deploy(identity).policies("AdopterRole")
    grants = {s["Sid"]: s for s in policy["Statement"]}
    moves = grants["PrimaryEmailOfThisOrganizationsMembers"]
    assert sorted(moves["Action"]) == ["account:AcceptPrimaryEmailUpdate", "account:GetPrimaryEmail",
                                       "account:StartPrimaryEmailUpdate"]
    assert moves["Resource"] == "arn:aws:account::111111111111:account/o-rootmail01/*"
    assert sorted(grants["CheckEligibility"]["Action"]) == ["organizations:DescribeOrganization",
                                                            "organizations:ListAWSServiceAccessForOrganization"]
    assert all(s["Effect"] == "Allow" and "*" not in str(s["Action"]) for s in policy["Statement"])


def test_the_template_fits_a_stackset():
    """Nothing names one account or region; parameters the Azure deployment outputs fill it."""
    text = TEMPLATE.read_text()
    body = text[text.index("Resources:"):]
    assert not re.search(r"\b\d{12}\b", body) and "us-east-1" not in body
    with pytest.raises(ValueError, match="EntraTenantId"):
        Stack({"EntraTenantId": "not-a-guid", "FederationAudience": AUDIENCE, "FederationAppId": APP,
               "ManagedIdentityPrincipalId": APP, "OrganizationId": "o-rootmail01"})


def test_the_root_access_role_opens_root_sessions_only_for_the_five_task_policies(identity):
    [policy] = deploy(identity).policies("RootAccessRole")
    grants = {s["Sid"]: s for s in policy["Statement"]}
    assert sorted(grants["ReadTheFeaturesAndTheMembers"]["Action"]) == [
        "iam:ListOrganizationsFeatures", "organizations:DescribeOrganization", "organizations:ListAccounts"]
    root = grants["RootSessionsScopedToTheFiveTaskPolicies"]
    assert (root["Action"], root["Resource"]) == ("sts:AssumeRoot", "arn:aws:iam::*:root")
    assert root["Condition"] == {"ArnEquals": {"sts:TaskPolicyArn": [
        f"arn:aws:iam::aws:policy/root-task/{name}" for name in (
            "IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials", "IAMCreateRootUserPassword",
            "S3UnlockBucketPolicy", "SQSUnlockQueuePolicy")]}}
    assert all(s["Effect"] == "Allow" and "*" not in str(s["Action"]) for s in policy["Statement"])


def test_the_root_access_role_can_be_left_out(identity):
    stack = deploy(identity, CreateRootAccessRole="false")
    assert not stack.exists("RootAccessRole") and stack.exists("AdopterRole")
