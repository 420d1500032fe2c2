"""The federation itself: RootMail's token, the STS call that trades it (unsigned), the role's credentials on every
later call, their renewal before expiry, and each refusal on the way in RootMail's words."""
from __future__ import annotations

import logging
import time

import pytest

from aws.account import AccountClient
from aws.entra import ManagedIdentityToken
from aws.organizations import OrganizationsAccounts
from core.adoption.reconcile import SyncFailed
from core.adoption.states import AccessRefused
from logs import configure_logging
from tests.fakes.aws_account import ASSUMED_KEY
from tests.integration.keyless.conftest import AUDIENCE, stack_for

MEMBER = "222222222222"


def adopter(org, identity, **options) -> AccountClient:
    role = org.web_identity[0].role_arn("AdopterRole")
    token = ManagedIdentityToken(AUDIENCE, identity.identity.client_id)
    return AccountClient(role, endpoint_url=org.url, attempts=1, web_identity=token, **options)


async def test_the_adopter_acts_on_the_role_it_got_for_its_entra_token_with_no_aws_key(org, identity):
    org.drop_codes[MEMBER] = 1
    account = adopter(org, identity)

    await account.start_update(MEMBER, "aws-0001@example.com")
    await account.accept_update(MEMBER, "aws-0001@example.com", org.pending[MEMBER].code)

    assert await account.primary_email(MEMBER) == "aws-0001@example.com"
    [sign_in] = org.of("AssumeRoleWithWebIdentity")
    assert sign_in.key_id == "" and org.of("AssumeRole") == []  # unsigned: there is no key to sign with
    assert sign_in.params["RoleArn"].endswith(":role/RootMailAdopter")
    assert sign_in.params["WebIdentityToken"].count(".") == 2
    [issued] = identity.issued
    assert (issued["aud"], issued["sub"], issued["iss"]) == (
        AUDIENCE, identity.identity.principal_id, f"https://sts.windows.net/{identity.tenant.tenant_id}/")
    moves = org.of("StartPrimaryEmailUpdate") + org.of("AcceptPrimaryEmailUpdate") + org.of("GetPrimaryEmail")
    assert {(c.service, c.key_id) for c in moves} == {("account", ASSUMED_KEY)}


async def test_credentials_are_renewed_before_they_expire(org, identity):
    org.drop_codes[MEMBER] = 1
    org.session_seconds = 9 * 60  # less than botocore's 10 minutes of mandatory refresh: every call renews
    account = adopter(org, identity)
    for _ in range(3):
        await account.primary_email(MEMBER)
    assert len(org.of("AssumeRoleWithWebIdentity")) == 3

    org.session_seconds = 3600
    account = adopter(org, identity)
    for _ in range(3):
        await account.primary_email(MEMBER)
    assert len(org.of("AssumeRoleWithWebIdentity")) == 4  # one more, then kept


async def test_the_organization_is_listed_keyless_too(org, identity):
    role = org.web_identity[0].role_arn("OrgReaderRole")
    source = OrganizationsAccounts(role, endpoint_url=org.url,
                                   web_identity=ManagedIdentityToken(AUDIENCE, identity.identity.client_id))

    accounts = await source.accounts()

    assert {a.id for a in accounts} == {"111111111111", MEMBER}
    assert [c.key_id for c in org.of("AssumeRoleWithWebIdentity")] == [""]
    assert {c.key_id for c in org.of("ListAccounts")} == {ASSUMED_KEY}


async def test_a_token_for_another_identity_is_refused_by_the_trust_policy(org, identity):
    org.web_identity = (stack_for(identity, ManagedIdentityPrincipalId="0badc0de-0000-4000-8000-000000000000"),
                        identity.tenant)
    with pytest.raises(AccessRefused, match=r"refused RootMail's Entra ID token .*\(AccessDenied: Not authorized"):
        await adopter(org, identity).primary_email(MEMBER)
    assert org.of("GetPrimaryEmail") == []


async def test_a_token_for_another_audience_is_refused_by_the_provider(org, identity):
    identity.resources.add("api://something-else")
    account = adopter(org, identity)
    account_token = ManagedIdentityToken("api://something-else", identity.identity.client_id)
    account = AccountClient(account.role_arn, endpoint_url=org.url, attempts=1, web_identity=account_token)
    with pytest.raises(AccessRefused, match=r"\(InvalidIdentityToken: Incorrect token audience\)"):
        await account.primary_email(MEMBER)


async def test_an_expired_or_forged_token_is_refused(org, identity, monkeypatch):
    expired = identity.mint(AUDIENCE, exp=int(time.time()) - 301)  # past IAM's five minutes of clock skew
    role = org.web_identity[0].role_arn("AdopterRole")
    with pytest.raises(AccessRefused, match=r"\(ExpiredTokenException"):
        await AccountClient(role, endpoint_url=org.url, attempts=1, web_identity=lambda: expired).primary_email(MEMBER)

    header, body, signature = identity.mint(AUDIENCE).split(".")
    forged = f"{header}.{body}.{signature[::-1]}"
    with pytest.raises(AccessRefused, match=r"\(InvalidIdentityToken"):
        await AccountClient(role, endpoint_url=org.url, attempts=1, web_identity=lambda: forged).primary_email(MEMBER)


async def test_without_a_token_rootmail_says_why_and_never_calls_aws(org, identity, monkeypatch):
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-platforms")  # a request that did not come from the app
    with pytest.raises(AccessRefused, match="no Entra ID token"):
        await adopter(org, identity).primary_email(MEMBER)

    monkeypatch.setenv("IDENTITY_HEADER", identity.header)
    identity.resources.clear()  # the federation application was never registered: AADSTS500011
    with pytest.raises(AccessRefused, match="no Entra ID token for api://rootmail-aws-federation/.default"):
        await adopter(org, identity).primary_email(MEMBER)

    role = org.web_identity[0].role_arn("OrgReaderRole")
    unknown = ManagedIdentityToken(AUDIENCE, "00000000-0000-4000-8000-0000000000ff")  # not this app's identity
    with pytest.raises(SyncFailed, match="no Entra ID token"):
        await OrganizationsAccounts(role, endpoint_url=org.url, web_identity=unknown).accounts()
    assert org.calls == []


async def test_no_token_or_secret_reaches_the_log(org, identity, caplog):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("DEBUG", "json")  # what ROOTMAIL_LOG_LEVEL=DEBUG does
        wire = [logging.getLogger(name).getEffectiveLevel() for name in ("botocore", "urllib3")]
    finally:
        root.handlers[:], root.level = handlers, level
    assert min(wire) >= logging.WARNING  # botocore's DEBUG lines carry the token and the role's secret key

    caplog.set_level("DEBUG", logger="aws")
    org.drop_codes[MEMBER] = 1
    await adopter(org, identity).primary_email(MEMBER)

    token = org.of("AssumeRoleWithWebIdentity")[0].params["WebIdentityToken"]
    logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert token not in logged and token.split(".")[2] not in logged and "fake-secret" not in logged
    assert identity.identity.principal_id in logged  # the subject AWS sees is named, for the trust policy
