"""`sync` and `adopt` through the app as deployed: only settings (no injected AWS client), a managed identity, no AWS
key anywhere. sync runs against moto's Organizations and STS; adopt against the fake AWS organization."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.core.models import override_responses_real_send

from app import INBOX, create_app
from tests.cardcheck import texts
from tests.fakes import teams
from tests.fakes.aws_account import ASSUMED_KEY
from tests.integration.adopt.helpers import ADMIN_CHAT, FAST, adopt
from tests.integration.conftest import Harness
from tests.integration.keyless.conftest import AUDIENCE, stack_for

MOTO_ACCOUNT = "123456789012"  # moto's own account: the organization lives there


def keyless_env(identity, **env: str) -> dict[str, str]:
    return {"ROOTMAIL_AWS_WEB_IDENTITY_AUDIENCE": AUDIENCE,
            "ROOTMAIL_MANAGED_IDENTITY_CLIENT_ID": identity.identity.client_id,
            "ROOTMAIL_ADMIN_CONVERSATION": ADMIN_CHAT.conversation_id, "ROOTMAIL_ORG_SYNC_MINUTES": "0"} | env


async def test_sync_links_accounts_with_no_aws_key(aiohttp_client, connector, make_settings, identity, microsoft):
    stack = stack_for(identity, account=MOTO_ACCOUNT)
    role = stack.role_arn("OrgReaderRole")
    # moto's fake credentials off: a call that needed a key would fail with NoCredentialsError
    with mock_aws(config={"core": {"mock_credentials": False, "passthrough": {"urls": [identity.url + ".*"]}}}):
        # moto intercepts `requests` too: Microsoft's login URLs go on to the login fakes (as in test_orgs.py)
        override_responses_real_send(microsoft.mock)
        try:
            org = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="moto-setup",
                               aws_secret_access_key="moto-setup")
            org.create_organization(FeatureSet="ALL")
            vended = org.create_account(Email="aws+vended@example.com", AccountName="Payments")
            account_id = vended["CreateAccountStatus"]["AccountId"]
            settings = make_settings(**keyless_env(identity, ROOTMAIL_ORG_ROLE_ARN=role))
            harness = Harness(await aiohttp_client(create_app(settings)), connector)
            from tests.contract.conftest import address
            await harness.store.create_address(address("aws+vended@example.com", account_name="Payments"))

            card = await harness.say("sync", ADMIN_CHAT)
        finally:
            override_responses_real_send(None)

    assert (await harness.store.get_address("aws+vended@example.com")).account_id == account_id
    assert "Linked by this sync (1)" in texts(card)
    [token] = identity.issued
    assert stack.decide(role, token).allowed  # what RootMail sent is what the template lets in


async def test_adopt_moves_an_account_with_no_aws_key(aiohttp_client, connector, make_settings, identity, org,
                                                       monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", org.url)  # botocore's own setting: every client goes to the fake
    stack = org.web_identity[0]
    settings = make_settings(**keyless_env(identity, ROOTMAIL_MAIL_SOURCE="smtp", ROOTMAIL_ADMINS="aad-alice",
                                           ROOTMAIL_ORG_ROLE_ARN=stack.role_arn("OrgReaderRole"),
                                           ROOTMAIL_ADOPT_ROLE_ARN=stack.role_arn("AdopterRole")))
    app = create_app(settings, adopt_policy=FAST)
    harness = Harness(await aiohttp_client(app), connector)
    org.smtp = ("127.0.0.1", app[INBOX].port)

    await adopt(harness, "222222222222")

    record = await harness.store.get_by_account_id("222222222222")
    assert record is not None and org.accounts["222222222222"].email == record.address
    sign_ins = org.of("AssumeRoleWithWebIdentity")
    assert sign_ins and {c.key_id for c in sign_ins} == {""} and org.of("AssumeRole") == []
    assert {c.key_id for c in org.calls if c.operation != "AssumeRoleWithWebIdentity"} == {ASSUMED_KEY}
    assert {c.params["RoleArn"] for c in sign_ins} == {stack.role_arn("AdopterRole"), stack.role_arn("OrgReaderRole")}


@pytest.mark.parametrize("env", [{"ROOTMAIL_ORG_EXTERNAL_ID": "rootmail-7f3a"}])
def test_an_external_id_with_web_identity_is_a_settings_error(make_settings, env):
    from settings import SettingsError

    with pytest.raises(SettingsError, match="AssumeRoleWithWebIdentity takes no external id"):
        make_settings(ROOTMAIL_AWS_WEB_IDENTITY_AUDIENCE=AUDIENCE, **env)
