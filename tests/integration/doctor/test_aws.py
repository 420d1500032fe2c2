"""The doctor's AWS checks against the loopback fake organization: both roles assumed (on AWS keys, or keyless with
the managed identity's Entra ID token) and each read-only call RootMail makes allowed; every refusal with its fix."""
from __future__ import annotations

import pytest

from doctor.report import FAILED, PASSED
from tests.fakes.aws_account import AwsOrg, runner_keys
from tests.fakes.serving import serving
from tests.integration.keyless.conftest import AUDIENCE, identity, no_aws_keys, org, stack_for  # noqa: F401

READER = "arn:aws:iam::111111111111:role/RootMailOrgReader"
ADOPTER = "arn:aws:iam::111111111111:role/RootMailAdopter"
ROLES = {"ROOTMAIL_ORG_ROLE_ARN": READER, "ROOTMAIL_ADOPT_ROLE_ARN": ADOPTER}


@pytest.fixture
async def fake_org(aiohttp_server, monkeypatch):
    runner_keys(monkeypatch)  # this host's own AWS credentials
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    fake = AwsOrg()
    fake.add("222222222222", "Legacy Billing", "billing-root@corp.example")
    return await serving(aiohttp_server, fake)


async def test_both_roles_and_every_read_pass_and_nothing_is_changed(diagnose, fake_org):
    found = await diagnose(("aws",), {"aws_endpoint": fake_org.url}, **ROLES)
    assert {f.status for f in found.of("aws")} == {PASSED}, found.text()
    assert "read for account 222222222222" in found.one("aws", "account:GetPrimaryEmail").detail
    assert {c.operation for c in fake_org.calls} <= {"AssumeRole", "ListAccounts", "DescribeOrganization",
                                                     "ListAWSServiceAccessForOrganization", "GetPrimaryEmail"}
    assert {c.params.get("RoleSessionName") for c in fake_org.of("AssumeRole")} == {"rootmail-doctor"}


async def test_a_role_that_cannot_be_assumed_fails_with_the_trust_policy_as_fix(diagnose, fake_org):
    fake_org.refused_roles.add(ADOPTER)
    found = await diagnose(("aws",), {"aws_endpoint": fake_org.url}, **ROLES)
    finding = found.one("aws", f"assume {ADOPTER}")
    assert finding.status == FAILED and "AccessDenied" in finding.detail and "trust policy" in finding.fix
    assert found.one("aws", f"assume {READER}").status == PASSED


@pytest.mark.parametrize("operation, check", [
    ("ListAccounts", "organizations:ListAccounts"),
    ("DescribeOrganization", "organizations:DescribeOrganization"),
    ("ListAWSServiceAccessForOrganization", "organizations:ListAWSServiceAccessForOrganization"),
    ("GetPrimaryEmail", "account:GetPrimaryEmail")])
async def test_each_missing_permission_fails_naming_the_action(diagnose, fake_org, operation, check):
    fake_org.denied.add(operation)
    found = await diagnose(("aws",), {"aws_endpoint": fake_org.url}, **ROLES)
    finding = found.one("aws", check)
    assert finding.status == FAILED and "AccessDenied" in finding.detail
    assert f"allow {check}" in finding.fix and "infra/aws/rootmail-roles.yaml" in finding.fix


async def test_trusted_access_off_fails_with_the_command_that_enables_it(diagnose, fake_org):
    fake_org.trusted_access = False
    found = await diagnose(("aws",), {"aws_endpoint": fake_org.url}, **ROLES)
    finding = found.one("aws", "trusted access")
    assert finding.status == FAILED
    assert "enable-aws-service-access --service-principal account.amazonaws.com" in finding.fix


async def test_keyless_roles_pass_with_the_managed_identitys_token(diagnose, org, identity):
    found = await diagnose(("aws",), {"aws_endpoint": org.url}, ROOTMAIL_AWS_WEB_IDENTITY_AUDIENCE=AUDIENCE,
                           ROOTMAIL_MANAGED_IDENTITY_CLIENT_ID=identity.identity.client_id, **ROLES)
    assert {f.status for f in found.of("aws")} == {PASSED}, found.text()
    assert "with an Entra ID token" in found.one("aws", f"assume {READER}").detail


async def test_a_trust_that_pins_another_identity_fails_with_the_template_as_fix(diagnose, org, identity):
    org.web_identity = (stack_for(identity, ManagedIdentityPrincipalId="00000000-0000-4000-8000-000000000bad"),
                        identity.tenant)
    found = await diagnose(("aws",), {"aws_endpoint": org.url}, ROOTMAIL_AWS_WEB_IDENTITY_AUDIENCE=AUDIENCE,
                           ROOTMAIL_MANAGED_IDENTITY_CLIENT_ID=identity.identity.client_id, **ROLES)
    finding = found.one("aws", f"assume {READER}")
    assert finding.status == FAILED and "infra/aws/rootmail-roles.yaml" in finding.fix
