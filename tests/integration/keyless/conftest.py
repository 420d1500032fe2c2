"""Keyless AWS: RootMail's managed identity (the fake Container Apps endpoint) gets an Entra ID token, and AWS STS
trades it for a role's credentials as infra/aws/rootmail-roles.yaml allows. No AWS key exists in these tests."""
from __future__ import annotations

import pytest

from tests.fakes.aws_account import AwsOrg
from tests.fakes.aws_trust import Stack
from tests.fakes.jwks import FakeTenant
from tests.fakes.managed_identity import ManagedIdentityEndpoint

AUDIENCE = "api://rootmail-aws-federation"
FEDERATION_APP = "6b1f0c2e-0000-4000-8000-00000000f001"
ORGANIZATION = "o-rootmail01"


@pytest.fixture
def no_aws_keys(monkeypatch, tmp_path):
    """Nothing boto3's default chain could find: no keys, no profile files, no instance metadata."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
async def identity(aiohttp_server, monkeypatch, no_aws_keys) -> ManagedIdentityEndpoint:
    """RootMail's user-assigned identity, its endpoint in the container's environment as Container Apps sets it."""
    endpoint = ManagedIdentityEndpoint(FakeTenant(), resources={AUDIENCE})
    server = await aiohttp_server(endpoint.app())
    endpoint.url = str(server.make_url("")).rstrip("/")
    for name, value in endpoint.environment().items():
        monkeypatch.setenv(name, value)
    return endpoint


def stack_for(identity: ManagedIdentityEndpoint, account: str = "111111111111", **overrides: str) -> Stack:
    """infra/aws/rootmail-roles.yaml deployed in `account` with the values the Azure deployment outputs."""
    return Stack({"EntraTenantId": identity.tenant.tenant_id, "FederationAudience": AUDIENCE,
                  "FederationAppId": FEDERATION_APP, "ManagedIdentityPrincipalId": identity.identity.principal_id,
                  "OrganizationId": ORGANIZATION} | overrides, account=account)


@pytest.fixture
async def org(aiohttp_server, identity) -> AwsOrg:
    """The fake AWS organization whose STS decides web identity sign-ins by the template."""
    fake = AwsOrg()
    fake.add("222222222222", "Legacy Billing", "billing-root@corp.example")
    fake.web_identity = (stack_for(identity), identity.tenant)
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/"))
    return fake
