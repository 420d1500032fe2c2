"""The fake organization refuses what AWS refuses (tests/fakes/root_access.py cites each): botocore against it
directly, so loosening the fake fails here."""
from __future__ import annotations

import asyncio

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.root.helpers import DATA, PAYMENTS, org  # noqa: F401

TASK = "arn:aws:iam::aws:policy/root-task/"
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


def _client(org, service: str, keys: dict | None = None, region: str = "us-east-1"):
    keys = keys or {"AccessKeyId": "ASIAROOTMAILFAKE0001", "SecretAccessKey": "x", "SessionToken": "t"}
    return boto3.session.Session(aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
                                 aws_session_token=keys["SessionToken"], region_name=region).client(
        service, endpoint_url=org.url, config=NO_RETRY)


async def _root(org, account: str, policy: str, seconds: int = 60) -> dict:
    answer = await asyncio.to_thread(_client(org, "sts").assume_root, TargetPrincipal=account,
                                     TaskPolicyArn={"arn": TASK + policy}, DurationSeconds=seconds)
    return answer["Credentials"]


async def _code(call, *args, **kwargs) -> tuple[str, int]:
    """botocore blocks: in a thread, so the fake on this loop can answer."""
    with pytest.raises(ClientError) as refused:
        await asyncio.to_thread(call, *args, **kwargs)
    response = refused.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


async def test_list_organizations_features_refusals(org):
    iam = _client(org, "iam")
    assert sorted((await asyncio.to_thread(iam.list_organizations_features))["EnabledFeatures"]) == ["RootCredentialsManagement",
                                                                           "RootSessions"]
    org.iam_trusted_access = False
    assert await _code(iam.list_organizations_features) == ("ServiceAccessNotEnabled", 400)
    org.delegated = False
    assert await _code(iam.list_organizations_features) == ("AccountNotManagementOrDelegatedAdministrator", 400)


async def test_assume_root_refusals(org):
    sts = _client(org, "sts")

    def assume(account=DATA, policy="IAMAuditRootUserCredentials", seconds=60):
        return sts.assume_root(TargetPrincipal=account, TaskPolicyArn={"arn": TASK + policy}, DurationSeconds=seconds)

    assert await _code(assume, seconds=901) == ("ValidationError", 400)
    assert await _code(sts.assume_root, TargetPrincipal=DATA, TaskPolicyArn={
        "arn": "arn:aws:iam::aws:policy/AdministratorAccess"}) == ("ValidationError", 400)
    assert await _code(assume, account="111111111111") == ("AccessDenied", 403)  # the management account
    assert await _code(assume, account="999999999999") == ("AccessDenied", 403)  # not in the organization
    org.deny_assume_root.add(DATA)
    assert await _code(assume) == ("AccessDenied", 403)
    org.deny_assume_root.clear()
    org.features.discard("RootSessions")
    assert await _code(assume) == ("AccessDenied", 403)
    org.features.add("RootSessions")
    org.throttled["AssumeRoot"] = 1
    assert await _code(assume) == ("Throttling", 400)
    assert (await asyncio.to_thread(assume))["Credentials"]["AccessKeyId"].startswith("ASIAROOT")


async def test_a_root_session_may_only_do_what_its_task_policy_allows_on_the_root_user(org):
    org.root(PAYMENTS).password = True
    audit = _client(org, "iam", await _root(org, PAYMENTS, "IAMAuditRootUserCredentials"))
    assert (await asyncio.to_thread(audit.get_login_profile))["LoginProfile"]
    assert await _code(audit.delete_login_profile) == ("AccessDenied", 403)  # not in the audit policy
    assert await _code(audit.list_access_keys, UserName="alice") == ("AccessDenied", 403)  # not the root user
    assert org.root(PAYMENTS).password
    s3 = _client(org, "s3", await _root(org, PAYMENTS, "IAMAuditRootUserCredentials"))
    assert await _code(s3.delete_bucket_policy, Bucket="any") == ("AccessDenied", 403)
    forged = _client(org, "iam", {"AccessKeyId": "ASIAROOT999999999999", "SecretAccessKey": "x", "SessionToken": "t"})
    assert await _code(forged.get_login_profile) == ("InvalidClientTokenId", 403)


async def test_an_expired_root_session_is_refused(org):
    keys = await _root(org, PAYMENTS, "IAMAuditRootUserCredentials", seconds=0)
    await asyncio.sleep(0.01)
    assert await _code(_client(org, "iam", keys).list_mfa_devices) == ("ExpiredToken", 403)


async def test_iam_root_credential_refusals(org):
    iam = _client(org, "iam", await _root(org, DATA, "IAMDeleteRootUserCredentials"))
    assert await _code(iam.get_login_profile) == ("NoSuchEntity", 404)
    assert await _code(iam.delete_login_profile) == ("NoSuchEntity", 404)
    assert await _code(iam.delete_access_key, AccessKeyId="AKIANOSUCHKEY0000001") == ("NoSuchEntity", 404)
    create = _client(org, "iam", await _root(org, DATA, "IAMCreateRootUserPassword"))
    assert await _code(create.create_login_profile, Password="Passw0rd!Passw0rd!") == ("ValidationError", 400)
    await asyncio.to_thread(create.create_login_profile)
    assert await _code(create.create_login_profile) == ("EntityAlreadyExists", 409)


async def test_s3_and_sqs_refusals(org):
    s3 = _client(org, "s3", await _root(org, DATA, "S3UnlockBucketPolicy"))
    assert await _code(s3.delete_bucket_policy, Bucket="not-this-accounts") == ("NoSuchBucket", 404)
    sqs = _client(org, "sqs", await _root(org, DATA, "SQSUnlockQueuePolicy"))
    url = f"https://sqs.us-east-1.amazonaws.com/{DATA}/missing"
    assert (await _code(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": ""}))[0] in (
        "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


async def test_forgot_password_mails_nothing_without_a_password(org):
    assert not await org.forgot_password(DATA)  # no root credentials: nothing to recover
