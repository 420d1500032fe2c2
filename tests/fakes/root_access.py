"""The fake AWS organization (tests/fakes/aws_account.py) extended with centralized root access, for botocore pointed
at it with `endpoint_url`: IAM's ListOrganizationsFeatures and the root-credential calls (query protocol, XML),
STS AssumeRoot (query), S3 bucket policies (REST-XML, path style) and SQS queue attributes (JSON 1.0).

What each behaviour stands on:
- ListOrganizationsFeatures answers EnabledFeatures and refuses with the codes of its Errors section
  (AccountNotManagementOrDelegatedAdministrator, ServiceAccessNotEnabled; HTTP 400):
  https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListOrganizationsFeatures.html
- AssumeRoot takes TargetPrincipal, TaskPolicyArn.arn (one of the five AWS managed root-task policies) and
  DurationSeconds 0 to 900 ("If you specify a value higher than this setting, the operation fails"; ValidationError,
  the common error for an invalid parameter): https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html
  It documents only ExpiredTokenException and RegionDisabledException; how it refuses a management account, an account
  outside the organization, an organization without root sessions or an SCP's deny is not documented, so the fake
  answers AccessDenied (403), IAM's answer to an unauthorized call, and RootMail checks those cases first itself.
- A root session may make only the calls its task policy leaves open (the policies' NotAction lists) and only on the
  root user (NotResource arn:aws:iam::*:root, so a UserName is denied):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/security-iam-awsmanpol.html . SQSUnlockQueuePolicy's JSON is not on
  that page; the fake allows the calls its CLI steps name (list-queues, get-queue-url, get-queue-attributes,
  set-queue-attributes): https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user-privileged-task.html
- IAM errors: NoSuchEntity (404) from GetLoginProfile without a password and from deletes of what is gone,
  EntityAlreadyExists (409) from CreateLoginProfile when a password exists (each call's Errors section in the IAM API
  reference); "Allow password recovery ... is only available when the member account has no root user credentials"
  (the privileged-task page). Throttling (400): https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html .
  A call after the session's expiry: ExpiredToken (403), what STS-issued credentials get once expired (not on the
  common-errors page; said here).
- S3 DeleteBucketPolicy answers 204, NoSuchBucket 404: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketPolicy.html
- SQS SetQueueAttributes / GetQueueAttributes (JSON protocol, query-compatible error header); QueueDoesNotExist:
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
- "Forgot password" (forgot_password) mails a reset link to the root e-mail only when the root user has a password
  to reset: member accounts without root credentials "can't ... perform password recovery for their root user"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-enable-root-access.html).
"""
from __future__ import annotations

import asyncio
import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from scripts.demo_mail import build_message
from tests.fakes.aws_account import AwsOrg, Call, _send, _sts_error

ROOT_TASK = "arn:aws:iam::aws:policy/root-task/"
S3_UNLOCK = {"DeleteBucketPolicy", "PutBucketPolicy", "GetBucketPolicy", "ListAllMyBuckets"}
# each managed task policy's NotAction list: the only calls its root session may make
ALLOWED = {
    "IAMAuditRootUserCredentials": {"ListAccessKeys", "ListSigningCertificates", "GetLoginProfile", "ListMFADevices",
                                    "GetAccountSummary", "GetUser", "GetAccessKeyLastUsed"},
    "IAMCreateRootUserPassword": {"CreateLoginProfile", "GetLoginProfile"},
    "IAMDeleteRootUserCredentials": {"DeleteAccessKey", "DeleteSigningCertificate", "DeleteLoginProfile",
                                     "DeactivateMFADevice", "ListAccessKeys", "ListSigningCertificates",
                                     "GetLoginProfile", "ListMFADevices", "GetUser", "GetAccessKeyLastUsed"},
    "S3UnlockBucketPolicy": S3_UNLOCK,
    "SQSUnlockQueuePolicy": {"ListQueues", "GetQueueUrl", "GetQueueAttributes", "SetQueueAttributes"},
}
IAM = "https://iam.amazonaws.com/doc/2010-05-08/"
STS = "https://sts.amazonaws.com/doc/2011-06-15/"


@dataclass
class RootUser:
    password: bool = False
    access_keys: list[str] = field(default_factory=list)
    mfa: list[str] = field(default_factory=list)  # serial numbers
    certificates: list[str] = field(default_factory=list)


@dataclass
class RootSession:
    key: str
    account: str
    policy: str
    issued: float
    expires: float
    role_key: str  # the credentials AssumeRoot was called with
    calls: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class RootOrg(AwsOrg):
    features: set[str] = field(default_factory=lambda: {"RootCredentialsManagement", "RootSessions"})
    delegated: bool = True  # the role's account is the management account or the IAM delegated administrator
    iam_trusted_access: bool = True
    deny_assume_root: set[str] = field(default_factory=set)  # accounts an SCP keeps AssumeRoot out of
    throttled: dict[str, int] = field(default_factory=dict)  # operation -> next answers that are Throttling
    throttled_accounts: dict[str, int] = field(default_factory=dict)  # account -> next AssumeRoots throttled
    latency: float = 0.0  # seconds each root-access answer takes
    roots: dict[str, RootUser] = field(default_factory=dict)
    buckets: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> (account, policy)
    queues: dict[str, str] = field(default_factory=dict)  # queue URL -> policy ("" none)
    sent_resets: list[tuple[str, str]] = field(default_factory=list)  # (account, reset link mailed)
    sessions: dict[str, RootSession] = field(default_factory=dict)
    in_flight: int = 0
    most_in_flight: int = 0
    _keys: Any = field(default_factory=lambda: itertools.count(1))

    def root(self, account_id: str) -> RootUser:
        return self.roots.setdefault(account_id, RootUser())

    def app(self) -> web.Application:
        """Root access on top of the organization's calls (ListAccounts, DescribeOrganization, AssumeRole*)."""
        app = web.Application()
        app.router.add_post("/", self._root_access)
        app.router.add_route("*", "/{bucket}", self._s3)
        return app

    async def forgot_password(self, account_id: str) -> bool:
        """The root sign-in page's "Forgot password": a reset link to the root e-mail, if there is a password."""
        if not self.root(account_id).password:
            return False
        message = build_message("reset", self.accounts[account_id].email, account_id)
        link = re.search(r"https://signin\.aws\.amazon\.com/\S+", message.get_body(("plain",)).get_content())[0]
        self.sent_resets.append((account_id, link))
        assert self.smtp is not None, "set smtp to RootMail's SMTP inbox"
        await asyncio.get_running_loop().run_in_executor(self._senders, _send, message, *self.smtp)
        return True

    # --- routing ----------------------------------------------------------------------------------------------------
    async def _root_access(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            target = request.headers.get("X-Amz-Target", "")
            if target.startswith("AmazonSQS."):
                return await self._sqs(request, target.partition(".")[2])
            if target:
                return await self._query_or_json(request)
            form = dict(await request.post())
            action, scope = str(form.get("Action", "")), _scope(request)
            if action == "AssumeRoot":
                return self._assume_root(request, form)
            if scope[0] == "iam":
                return self._iam(action, form, scope[1])
            return await self._query_or_json(request)
        finally:
            self.in_flight -= 1

    def _throttle(self, operation: str) -> bool:
        if self.throttled.get(operation, 0) > 0:
            self.throttled[operation] -= 1
            return True
        return False

    # --- STS AssumeRoot ---------------------------------------------------------------------------------------------
    def _assume_root(self, request: web.Request, form: dict) -> web.Response:
        self._record(request, "AssumeRoot", form)
        target, policy_arn = str(form.get("TargetPrincipal", "")), str(form.get("TaskPolicyArn.arn", ""))
        seconds = int(form.get("DurationSeconds") or 900)
        if self._throttle("AssumeRoot") or _take_one(self.throttled_accounts, target):
            return _sts_error(400, "Throttling", "Rate exceeded")
        if not 0 <= seconds <= 900:
            return _sts_error(400, "ValidationError", "DurationSeconds must be between 0 and 900")
        policy = policy_arn.removeprefix(ROOT_TASK)
        if not policy_arn.startswith(ROOT_TASK) or policy not in ALLOWED:
            return _sts_error(400, "ValidationError", "TaskPolicyArn must be an AWS managed root-task policy")
        if (not self.delegated or "RootSessions" not in self.features or target == self.management
                or target not in self.accounts or self.accounts[target].state != "ACTIVE"
                or target in self.deny_assume_root):
            return _sts_error(403, "AccessDenied", f"Not authorized to perform sts:AssumeRoot on {target}")
        key = f"ASIAROOT{next(self._keys):012d}"
        now = time.time()
        self.sessions[key] = RootSession(key, target, policy, now, now + seconds, _scope(request)[1])
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + seconds))
        return web.Response(content_type="text/xml", text=(
            f'<AssumeRootResponse xmlns="{STS}"><AssumeRootResult><Credentials><AccessKeyId>{key}</AccessKeyId>'
            f"<SecretAccessKey>root-secret-{key}</SecretAccessKey><SessionToken>root-token-{key}</SessionToken>"
            f"<Expiration>{expires}</Expiration></Credentials></AssumeRootResult>"
            "<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></AssumeRootResponse>"))

    def _session(self, key: str, operation: str) -> tuple[RootSession | None, tuple[int, str, str] | None]:
        """The root session a call is signed with, or the refusal: unknown key, expired, or not in its policy."""
        session = self.sessions.get(key)
        if session is None:
            return None, (403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        session.calls.append((operation, time.time()))
        if time.time() > session.expires:
            return None, (403, "ExpiredToken", "The security token included in the request is expired")
        if operation not in ALLOWED[session.policy]:
            return None, (403, "AccessDenied", f"User: root is not authorized to perform: {operation} with an "
                                               "explicit deny in a session policy")
        return session, None

    # --- IAM ----------------------------------------------------------------------------------------------------------
    def _iam(self, action: str, form: dict, key: str) -> web.Response:
        self.calls.append(_call(action, form, "iam", key))
        if self._throttle(action):
            return _iam_error(400, "Throttling", "Rate exceeded")
        if action == "ListOrganizationsFeatures":
            if not self.delegated:
                return _iam_error(400, "AccountNotManagementOrDelegatedAdministrator", "The request was rejected "
                                  "because the account making the request is not the management account or "
                                  "delegated administrator account for centralized root access.")
            if not self.iam_trusted_access:
                return _iam_error(400, "ServiceAccessNotEnabled", "Trusted access is not enabled for IAM.")
            members = "".join(f"<member>{f}</member>" for f in sorted(self.features))
            return _iam_ok(action, f"<OrganizationId>o-rootmail01</OrganizationId>"
                                   f"<EnabledFeatures>{members}</EnabledFeatures>")
        session, refused = self._session(key, action)
        if refused:
            return _iam_error(*refused)
        if form.get("UserName"):  # the task policies deny every resource but arn:aws:iam::*:root
            return _iam_error(403, "AccessDenied", f"Not authorized to perform: iam:{action} on a non-root user")
        return self._root_call(action, form, self.root(session.account), session.account)

    def _root_call(self, action: str, form: dict, user: RootUser, account: str) -> web.Response:
        if action == "GetLoginProfile":
            if not user.password:
                return _iam_error(404, "NoSuchEntity", f"Login Profile for User {account} cannot be found.")
            return _iam_ok(action, f"<LoginProfile><CreateDate>{_created()}</CreateDate>"
                                   "<PasswordResetRequired>false</PasswordResetRequired></LoginProfile>")
        if action == "CreateLoginProfile":
            if "Password" in form:  # "must be omitted when you make the request with an AssumeRoot session"
                return _iam_error(400, "ValidationError", "Password must be omitted in an AssumeRoot session")
            if user.password or user.access_keys or user.mfa or user.certificates:
                return _iam_error(409, "EntityAlreadyExists", f"Login Profile for user {account} already exists.")
            user.password = True
            return _iam_ok(action, f"<LoginProfile><CreateDate>{_created()}</CreateDate>"
                                   "<PasswordResetRequired>false</PasswordResetRequired></LoginProfile>")
        if action == "DeleteLoginProfile":
            if not user.password:
                return _iam_error(404, "NoSuchEntity", f"Login Profile for User {account} cannot be found.")
            user.password = False
            return _iam_ok(action, "")
        listed = {"ListAccessKeys": ("AccessKeyMetadata", "AccessKeyId", user.access_keys),
                  "ListMFADevices": ("MFADevices", "SerialNumber", user.mfa),
                  "ListSigningCertificates": ("Certificates", "CertificateId", user.certificates)}
        if action in listed:
            wrapper, name, items = listed[action]
            rows = "".join(f"<member><{name}>{item}</{name}><Status>Active</Status></member>" for item in items)
            return _iam_ok(action, f"<{wrapper}>{rows}</{wrapper}><IsTruncated>false</IsTruncated>")
        removed = {"DeleteAccessKey": ("AccessKeyId", user.access_keys), "DeactivateMFADevice": ("SerialNumber", user.mfa),
                   "DeleteSigningCertificate": ("CertificateId", user.certificates)}
        if action in removed:
            name, items = removed[action]
            if form.get(name) not in items:
                return _iam_error(404, "NoSuchEntity", f"The {name} {form.get(name)} cannot be found.")
            items.remove(form[name])
            return _iam_ok(action, "")
        return _iam_error(400, "InvalidAction", f"Could not find operation {action}")

    # --- S3 and SQS ---------------------------------------------------------------------------------------------------
    async def _s3(self, request: web.Request) -> web.Response:
        bucket = request.match_info["bucket"]
        operation = {"DELETE": "DeleteBucketPolicy", "GET": "GetBucketPolicy", "PUT": "PutBucketPolicy"}.get(
            request.method, "")
        if "policy" not in request.query or not operation:
            return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        key = _scope(request)[1]
        self.calls.append(_call(operation, {"Bucket": bucket}, "s3", key))
        session, refused = self._session(key, operation)
        if refused:
            return _s3_error(*refused)
        owner, policy = self.buckets.get(bucket, ("", None))
        if owner != session.account:
            return _s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
        if operation == "DeleteBucketPolicy":
            self.buckets[bucket] = (owner, None)
            return web.Response(status=204)
        if operation == "PutBucketPolicy":
            self.buckets[bucket] = (owner, await request.text())
            return web.Response(status=204)
        if policy is None:
            return _s3_error(404, "NoSuchBucketPolicy", "The bucket policy does not exist")
        return web.Response(text=policy, content_type="application/json")

    async def _sqs(self, request: web.Request, operation: str) -> web.Response:
        body = await request.json()
        key = _scope(request)[1]
        self.calls.append(_call(operation, body, "sqs", key))
        session, refused = self._session(key, operation)
        if refused:
            return _sqs_error(refused[0], refused[1], refused[2])
        url = str(body.get("QueueUrl", ""))
        if url not in self.queues or url.split("/")[-2] != session.account:
            return _sqs_error(400, "QueueDoesNotExist", "The specified queue does not exist.",
                              "AWS.SimpleQueueService.NonExistentQueue")
        if operation == "SetQueueAttributes":
            self.queues[url] = str((body.get("Attributes") or {}).get("Policy", self.queues[url]))
            return web.json_response({}, content_type="application/x-amz-json-1.0")
        attributes = {"Policy": self.queues[url]} if self.queues[url] else {}
        return web.json_response({"Attributes": attributes}, content_type="application/x-amz-json-1.0")


def _take_one(counts: dict[str, int], key: str) -> bool:
    if counts.get(key, 0) > 0:
        counts[key] -= 1
        return True
    return False


def _scope(request: web.Request) -> tuple[str, str]:
    """(service, access key id) from the SigV4 Authorization header."""
    found = re.search(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/", request.headers.get("Authorization", ""))
    return (found[2], found[1]) if found else ("", "")


def _call(operation: str, params: dict, service: str, key: str) -> Call:
    return Call(operation, dict(params), service, key)


def _created() -> str:
    """A login profile's CreateDate: a month before now (no fake holds a date: tests/unit/test_fakes_keep_time.py)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30 * 86400))


def _iam_ok(action: str, result: str) -> web.Response:
    inner = f"<{action}Result>{result}</{action}Result>" if result else ""
    return web.Response(content_type="text/xml", text=(
        f'<{action}Response xmlns="{IAM}">{inner}<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>'
        f"</{action}Response>"))


def _iam_error(status: int, code: str, message: str) -> web.Response:
    return web.Response(status=status, content_type="text/xml", text=(
        f'<ErrorResponse xmlns="{IAM}"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>'
        "</Error><RequestId>fake</RequestId></ErrorResponse>"))


def _s3_error(status: int, code: str, message: str) -> web.Response:
    return web.Response(status=status, content_type="application/xml", text=(
        f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fake</RequestId></Error>"))


def _sqs_error(status: int, code: str, message: str, query_code: str = "") -> web.Response:
    return web.json_response({"__type": f"com.amazonaws.sqs#{code}", "message": message}, status=status,
                             content_type="application/x-amz-json-1.0",
                             headers={"x-amzn-query-error": f"{query_code or code};Sender"})
