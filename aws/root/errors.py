"""botocore's refusals of centralized root access calls as core.root_access errors, decided by error code.

Codes: ListOrganizationsFeatures' Errors section
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListOrganizationsFeatures.html), AssumeRoot's
(https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html: ExpiredTokenException, RegionDisabledException
only; an AccessDenied there is undocumented, so its message lists every cause RootMail knows), the IAM and STS common
errors (Throttling, ServiceUnavailable; https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html) and each
task call's own (NoSuchEntity, EntityAlreadyExists, NoSuchBucket, QueueDoesNotExist).
"""
from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, CredentialRetrievalError, ParamValidationError

from core.intake.redact import redact
from core.root_access.api import NotDelegatedAdmin, RootAccessError, Throttled, Unavailable

THROTTLED = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
                       "SlowDown", "RequestThrottled", "RequestThrottledException"})
FAILED = frozenset({"ServiceFailure", "ServiceFailureException", "InternalError", "InternalFailure",
                    "ServiceUnavailable", "ServiceUnavailableException"})
ROLE_CALLS = frozenset({"AssumeRole", "AssumeRoleWithWebIdentity"})
_ORGANIZATION = {
    "OrganizationNotFound": "The role's account is not in an AWS organization (OrganizationNotFound).",
    "OrganizationNotInAllFeaturesMode": "The organization does not have all features enabled "
                                        "(OrganizationNotInAllFeaturesMode); centralized root access needs them.",
    "ServiceAccessNotEnabled": "Trusted access for IAM is not enabled in the organization (ServiceAccessNotEnabled): "
                               "aws organizations enable-aws-service-access --service-principal iam.amazonaws.com.",
}


def code_of(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def translate(error: Exception, role_arn: str, account_id: str = "", policy: str = "",
              opened: bool = False) -> RootAccessError:
    """The core error for a botocore failure; `opened`: AssumeRoot had answered (the card shows the session)."""
    found = _translate(error, role_arn, account_id, policy)
    found.session_opened = opened
    return found


def _translate(error: Exception, role_arn: str, account_id: str, policy: str) -> RootAccessError:
    if isinstance(error, CredentialRetrievalError):
        return RootAccessError(f"RootMail has no Entra ID token to assume {role_arn}: {error}")
    if isinstance(error, ParamValidationError):  # what AWS listed came back in a shape its own API refuses
        return RootAccessError(f"RootMail could not make the call AWS expects ({str(error)[:200]}).")
    if not isinstance(error, ClientError):
        kind = type(error).__name__ if isinstance(error, BotoCoreError) else "error"
        return Unavailable(f"AWS could not be reached ({kind}); nothing was changed. Try again later.")
    code, operation = code_of(error), error.operation_name
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    said = redact(str(error.response.get("Error", {}).get("Message", "")))[:160]
    if code in THROTTLED or status == 429:
        return Throttled(f"AWS throttled {operation} ({code or status}); RootMail tried again and gave up for now.")
    if code in FAILED or status >= 500:
        return Unavailable(f"AWS failed {operation} ({code or status}); nothing was changed that RootMail knows of.")
    if operation in ROLE_CALLS:
        return RootAccessError(f"RootMail could not become {role_arn} ({operation}: {code}). Check the role's trust "
                               "policy names RootMail's identity (infra/aws/rootmail-roles.yaml).")
    if code == "AccountNotManagementOrDelegatedAdministrator":
        return NotDelegatedAdmin(role_arn)
    if code in _ORGANIZATION:
        return RootAccessError(_ORGANIZATION[code])
    if operation == "AssumeRoot":
        return _assume_root(code, said, role_arn, account_id, policy)
    return _task(code, operation, said, account_id)


def _assume_root(code: str, said: str, role_arn: str, account_id: str, policy: str) -> RootAccessError:
    if code == "RegionDisabledException":
        return RootAccessError(f"STS is not activated in RootMail's region for the role's account "
                               f"(RegionDisabledException): activate it, or set ROOTMAIL_ORG_REGION to a region "
                               f"where it is.")
    if code == "ExpiredTokenException":
        return Unavailable("The role's own session had expired when AssumeRoot was called (ExpiredTokenException); "
                           "try again.")
    return RootAccessError(f"AWS STS refused AssumeRoot for account {account_id} with {policy} ({code}"
                           f"{': ' + said if said else ''}). {role_arn} needs sts:AssumeRoot for this task policy, "
                           "root sessions must be enabled in the organization, and no service control policy may deny "
                           "it.")


def _task(code: str, operation: str, said: str, account_id: str) -> RootAccessError:
    if code == "EntityAlreadyExists" and operation == "CreateLoginProfile":
        return RootAccessError(f"The root user of {account_id} already has a password (EntityAlreadyExists). AWS "
                               "allows password recovery only for an account without root credentials: delete them "
                               "first, or use the password that is there.")
    if code == "NoSuchBucket":
        return RootAccessError(f"AWS account {account_id} has no such S3 bucket (NoSuchBucket).")
    if code in ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"):
        return RootAccessError(f"AWS account {account_id} has no such SQS queue ({code}).")
    if code in ("AccessDenied", "AccessDeniedException"):
        return RootAccessError(f"The root session was denied {operation} ({code}); a service control policy or the "
                               "resource's own policy may deny the root user even this.")
    return RootAccessError(f"AWS refused {operation} ({code}{': ' + said if said else ''}).")
