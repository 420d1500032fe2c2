"""The calls each root task makes inside its root session, in a worker thread, with the session's credentials only.

Which calls each task policy allows: the IAM User Guide's AWS managed policies for IAM
(https://docs.aws.amazon.com/IAM/latest/UserGuide/security-iam-awsmanpol.html) and "Perform a privileged task on an
AWS Organizations member account" (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user-privileged-task.html):
user names are left out so each call acts on the member account's root user; CreateLoginProfile goes without a
password in a root session (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html,
Password: "must be omitted when you make the request with an AssumeRoot session"). The credentials live in this
module's clients for the one call and are never logged.
"""
from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from typing import Any, Iterator

import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, Credentials as BotoCredentials, ReadOnlyCredentials
from botocore.exceptions import ClientError, NoCredentialsError

from aws.root.errors import code_of
from core.root_access.api import Outcome
from core.root_access.model import ACCESS_KEYS, CERTIFICATES, MFA, PASSWORD, Credentials


class RootClients:
    """boto3 clients for root sessions, made once per worker thread and service (making a client costs tens of
    milliseconds; an audit of hundreds of accounts would spend its time there). Each signs with the keys of the root
    session its thread is in at that moment (`in_session`), and with none outside one."""

    def __init__(self, region: str, endpoint_url: str | None, config: Config):
        self.region, self.endpoint_url, self.config = region, endpoint_url, config
        self._local = threading.local()
        self._lock = threading.Lock()  # botocore sessions are not thread-safe; clients are
        self._session = botocore.session.get_session()
        self._session.get_component("credential_provider").insert_before("env", _ThreadProvider(self._local))

    @contextlib.contextmanager
    def in_session(self, credentials: dict[str, Any]) -> Iterator[None]:
        self._local.keys = ReadOnlyCredentials(credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                               credentials["SessionToken"])
        try:
            yield
        finally:
            self._local.keys = None  # the root session ends with its task

    def client(self, service: str, region: str | None = None) -> Any:
        made = self._local.__dict__.setdefault("clients", {})
        key = (service, region or self.region)
        if key not in made:
            with self._lock:
                made[key] = self._session.create_client(service, region_name=key[1], endpoint_url=self.endpoint_url,
                                                        config=self.config)
        return made[key]


class _ThreadKeys(BotoCredentials):
    def __init__(self, local: threading.local):
        super().__init__("", "")
        self._thread = local

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        keys = getattr(self._thread, "keys", None)
        if keys is None:
            raise NoCredentialsError()
        return keys


class _ThreadProvider(CredentialProvider):
    METHOD = CANONICAL_NAME = "rootmail-root-session"

    def __init__(self, local: threading.local):
        super().__init__()
        self._keys = _ThreadKeys(local)

    def load(self) -> BotoCredentials:
        return self._keys


Root = RootClients  # what each task below is handed: `root.client(service)` acts in the current root session


def audit(root: Root, expires: datetime | None) -> Outcome:
    """IAMAuditRootUserCredentials: GetLoginProfile, ListAccessKeys, ListMFADevices, ListSigningCertificates."""
    iam = root.client("iam")
    found = Credentials(password=_has_password(iam), access_keys=len(_keys(iam)), mfa_devices=len(_mfa(iam)),
                        signing_certificates=len(_certificates(iam)))
    return Outcome(expires, "read the root user's credentials", found)


def delete_credentials(root: Root, expires: datetime | None, kinds: tuple[str, ...]) -> Outcome:
    """IAMDeleteRootUserCredentials: each kind listed first, then deleted (MFA devices deactivated); what is gone
    already is no error."""
    iam, done = root.client("iam"), []
    if PASSWORD in kinds:
        if _has_password(iam):
            _quietly(iam.delete_login_profile)
            done.append("the password")
    if ACCESS_KEYS in kinds:
        keys = _keys(iam)
        for key in keys:
            _quietly(iam.delete_access_key, AccessKeyId=key)
        done.append(_count(len(keys), "access key"))
    if MFA in kinds:
        devices = _mfa(iam)
        for serial in devices:
            _quietly(iam.deactivate_mfa_device, SerialNumber=serial)
        done.append(_count(len(devices), "MFA device") + " deactivated")
    if CERTIFICATES in kinds:
        certificates = _certificates(iam)
        for certificate in certificates:
            _quietly(iam.delete_signing_certificate, CertificateId=certificate)
        done.append(_count(len(certificates), "signing certificate"))
    left = Credentials(password=_has_password(iam) if PASSWORD in kinds else False)
    summary = "Deleted " + ", ".join(done) if done else "Nothing was left to delete"
    return Outcome(expires, summary + ("; a password is still there" if left.password else ""))


def allow_recovery(root: Root, expires: datetime | None) -> Outcome:
    """IAMCreateRootUserPassword: CreateLoginProfile with no password; "Forgot password" then works."""
    root.client("iam").create_login_profile()
    return Outcome(expires, "Password recovery allowed: AWS now mails a reset link to the root e-mail when someone "
                            "uses Forgot password on the root sign-in page.")


def unlock_bucket(root: Root, expires: datetime | None, bucket: str) -> Outcome:
    """S3UnlockBucketPolicy: DeleteBucketPolicy."""
    root.client("s3").delete_bucket_policy(Bucket=bucket)
    return Outcome(expires, f"Deleted the bucket policy of {bucket}; put a corrected one in place from the account.")


def unlock_queue(root: Root, expires: datetime | None, queue_url: str) -> Outcome:
    """SQSUnlockQueuePolicy: the queue's Policy attribute set empty, which removes the policy. The managed policy's
    JSON is not on the IAM page (only its statement names); its CLI steps name get-queue-attributes and
    set-queue-attributes, so RootMail uses SetQueueAttributes and checks with GetQueueAttributes."""
    region = queue_url.split(".")[1] if queue_url.startswith("https://sqs.") else None
    sqs = root.client("sqs", region)
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": ""})
    left = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"]).get("Attributes", {})
    name = queue_url.rsplit("/", 1)[-1]
    if left.get("Policy"):
        return Outcome(expires, f"AWS kept a policy on {name} after it was removed; check the queue.")
    return Outcome(expires, f"Deleted the queue policy of {name}; put a corrected one in place from the account.")


def _has_password(iam) -> bool:
    try:
        iam.get_login_profile()
    except ClientError as error:
        if code_of(error) == "NoSuchEntity":
            return False
        raise
    return True


def _keys(iam) -> list[str]:
    return [k["AccessKeyId"] for k in iam.list_access_keys().get("AccessKeyMetadata", [])]


def _mfa(iam) -> list[str]:
    return [d["SerialNumber"] for d in iam.list_mfa_devices().get("MFADevices", [])]


def _certificates(iam) -> list[str]:
    return [c["CertificateId"] for c in iam.list_signing_certificates().get("Certificates", [])]


def _quietly(call, **params: Any) -> None:
    """A delete of something already gone (NoSuchEntity) is no failure."""
    try:
        call(**params)
    except ClientError as error:
        if code_of(error) != "NoSuchEntity":
            raise


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"
