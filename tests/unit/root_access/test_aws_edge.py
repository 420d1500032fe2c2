"""The boto3 edge of root access: AssumeRoot on the regional STS endpoint only, and AWS's refusals by error code."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from aws.root.client import RootAccessClient, partition, sts_endpoint
from aws.root.errors import translate
from core.root_access.api import NotDelegatedAdmin, RootAccessError, Throttled, Unavailable
from settings import SettingsError, load_settings

ROLE = "arn:aws:iam::111111111111:role/RootMailRootAccess"


def test_assume_root_goes_to_the_regional_sts_endpoint_never_the_global_one():
    client = RootAccessClient(ROLE, "eu-central-1")
    try:
        assert client.sts_url == "https://sts.eu-central-1.amazonaws.com"
        assert client._reader.client("sts", endpoint_url=client.sts_url).meta.endpoint_url == client.sts_url
    finally:
        client.close()
    assert sts_endpoint("cn-north-1") == "https://sts.cn-north-1.amazonaws.com.cn"
    assert (partition("us-gov-west-1"), partition("cn-north-1"), partition("us-east-1")) == ("aws-us-gov", "aws-cn",
                                                                                          "aws")
    with pytest.raises(ValueError, match="regional STS endpoint"):
        sts_endpoint("aws-global")


def test_settings_refuse_the_global_region_and_sessions_longer_than_aws_allows():
    with pytest.raises(SettingsError, match="aws-global is the global one"):
        load_settings({"ROOTMAIL_ROOT_ROLE_ARN": ROLE, "ROOTMAIL_ORG_REGION": "aws-global"})
    with pytest.raises(SettingsError, match="ROOTMAIL_ROOT_SESSION_SECONDS"):
        load_settings({"ROOTMAIL_ROOT_SESSION_SECONDS": "901"})
    settings = load_settings({"ROOTMAIL_ROOT_ROLE_ARN": ROLE})
    assert (settings.root_two_person, settings.root_session_seconds, settings.root_audit_minutes) == (True, 300, 1440)


def _error(operation: str, code: str, status: int = 400, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


@pytest.mark.parametrize("operation, code, status, kind, words", [
    ("ListOrganizationsFeatures", "AccountNotManagementOrDelegatedAdministrator", 400, NotDelegatedAdmin,
     "register-delegated-administrator"),
    ("ListOrganizationsFeatures", "ServiceAccessNotEnabled", 400, RootAccessError, "enable-aws-service-access"),
    ("ListOrganizationsFeatures", "OrganizationNotInAllFeaturesMode", 400, RootAccessError, "all features"),
    ("AssumeRoot", "Throttling", 400, Throttled, "throttled"),
    ("AssumeRoot", "RegionDisabledException", 403, RootAccessError, "not activated"),
    ("AssumeRoot", "AccessDenied", 403, RootAccessError, "sts:AssumeRoot for this task policy"),
    ("AssumeRoleWithWebIdentity", "InvalidIdentityToken", 400, RootAccessError, "trust policy"),
    ("CreateLoginProfile", "EntityAlreadyExists", 409, RootAccessError, "delete them first"),
    ("DeleteBucketPolicy", "NoSuchBucket", 404, RootAccessError, "no such S3 bucket"),
    ("GetLoginProfile", "ServiceFailure", 500, Unavailable, "nothing was changed"),
])
def test_refusals_are_decided_by_code_and_say_what_to_do(operation, code, status, kind, words):
    found = translate(_error(operation, code, status), ROLE, "222222222222", "IAMAuditRootUserCredentials")
    assert type(found) is kind and words in str(found)


def test_a_message_with_a_secret_in_it_is_redacted():
    found = translate(_error("PutBucketPolicy", "MalformedPolicy", 400,
                             "bad policy near https://signin.aws.amazon.com/resetpassword?token=abcdefghijklmnop"),
                      ROLE, "222222222222")
    assert "abcdefghijklmnop" not in str(found)
