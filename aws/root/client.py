"""AWS centralized root access through boto3: RootMail's role in the management account (or the IAM delegated
administrator), iam:ListOrganizationsFeatures, the organization's members, and sts:AssumeRoot into one member account
for one task, with the task's calls made in that root session (aws.root.calls).

AssumeRoot goes to the *regional* STS endpoint, https://sts.<region>.amazonaws.com: "The STS global endpoint is not
supported for AssumeRoot. You must send this request to a Regional STS endpoint"
(https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html). The role's credentials come from
aws.credentials (keyless with an Entra ID token, or AssumeRole on boto3's chain); every task gets a role session named
after it (rootmail-task-<id>), so CloudTrail's AssumeRoot event names the task in userIdentity.arn
(https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-track-privileged-tasks.html). boto3 blocks: every call
runs in this client's own threads.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from aws.root import calls
from aws.credentials import RoleAccess, RoleSession, TokenSource
from aws.root.errors import translate
from core.root_access.api import Member, Organization, Outcome
from core.root_access.model import SessionSpec

logger = logging.getLogger(__name__)

ROLE_SECONDS = 900  # the shortest role session STS gives; a task's role session is dropped after the task
PAGE_SIZE = 20


def sts_endpoint(region: str) -> str:
    """The regional STS endpoint; the global one (sts.amazonaws.com, region aws-global) does not take AssumeRoot."""
    if not region or region == "aws-global":
        raise ValueError("AssumeRoot needs a regional STS endpoint: set ROOTMAIL_ORG_REGION to an AWS region, such as "
                         "us-east-1 (aws-global is the global endpoint, which AssumeRoot does not support)")
    return f"https://sts.{region}.amazonaws.com{'.cn' if region.startswith('cn-') else ''}"


def partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


class RootAccessClient:
    """Implements core.root_access.api.RootAccessApi. `endpoint_url` is for tests against a local AWS fake (it then
    stands in for every service, STS included); production leaves it None."""

    def __init__(self, role_arn: str, region: str = "us-east-1", external_id: str = "",
                 endpoint_url: str | None = None, web_identity: TokenSource | None = None, threads: int = 10,
                 attempts: int = 3):
        self.role_arn, self.region, self.endpoint_url = role_arn, region, endpoint_url
        self.sts_url = endpoint_url or sts_endpoint(region)
        self._access = functools.partial(RoleAccess, role_arn, region=region, external_id=external_id,
                                         web_identity=web_identity, endpoint_url=endpoint_url, seconds=ROLE_SECONDS)
        self._config = Config(connect_timeout=10, read_timeout=30,
                              retries={"mode": "standard", "total_max_attempts": max(attempts, 1)})
        self._reader = RoleSession(self._access(session_name="rootmail-root-access"), self._config)
        self._roles: dict[str, RoleSession] = {}  # role sessions by name, while a run or task uses them
        self._root = calls.RootClients(region, endpoint_url, self._config)
        self._pool = ThreadPoolExecutor(max_workers=max(threads, 1), thread_name_prefix="aws-root")

    # --- the organization -------------------------------------------------------------------------------------------
    async def features(self) -> frozenset[str]:
        return await self._off_loop(self._features)

    async def organization(self) -> Organization:
        return await self._off_loop(self._organization)

    # --- root sessions ----------------------------------------------------------------------------------------------
    async def audit(self, account_id: str, session: SessionSpec) -> Outcome:
        return await self._task(account_id, session, calls.audit, keep_role=True)

    async def delete_credentials(self, account_id: str, kinds: tuple[str, ...], session: SessionSpec) -> Outcome:
        return await self._task(account_id, session, functools.partial(calls.delete_credentials, kinds=kinds))

    async def allow_recovery(self, account_id: str, session: SessionSpec) -> Outcome:
        return await self._task(account_id, session, calls.allow_recovery)

    async def unlock_bucket(self, account_id: str, bucket: str, session: SessionSpec) -> Outcome:
        return await self._task(account_id, session, functools.partial(calls.unlock_bucket, bucket=bucket))

    async def unlock_queue(self, account_id: str, queue_url: str, session: SessionSpec) -> Outcome:
        return await self._task(account_id, session, functools.partial(calls.unlock_queue, queue_url=queue_url))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _off_loop(self, work: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    async def _task(self, account_id: str, spec: SessionSpec, work: Callable[..., Outcome],
                    keep_role: bool = False) -> Outcome:
        """AssumeRoot into the account for this one task and run `work` in it. An audit run shares one role session
        (keep_role); a task's role session is dropped with its root session when the task returns."""
        try:
            return await self._off_loop(self._in_root_session, account_id, spec, work)
        finally:
            if not keep_role:
                self._roles.pop(spec.name, None)

    # --- in a worker thread -----------------------------------------------------------------------------------------
    def _features(self) -> frozenset[str]:
        try:
            answer = self._reader.client("iam").list_organizations_features()
        except (ClientError, BotoCoreError) as error:
            raise translate(error, self.role_arn) from None
        return frozenset(answer.get("EnabledFeatures", []))

    def _organization(self) -> Organization:
        organizations = self._reader.client("organizations")
        try:
            management = organizations.describe_organization()["Organization"]["MasterAccountId"]
            pages = organizations.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
            members = tuple(Member(str(a["Id"]), str(a.get("Name", "")), str(a.get("State") or a.get("Status") or
                                                                               "ACTIVE").upper())
                            for page in pages for a in page.get("Accounts", []) if a["Id"] != management)
        except (ClientError, BotoCoreError) as error:
            raise translate(error, self.role_arn) from None
        return Organization(str(management), members)

    def _in_root_session(self, account_id: str, spec: SessionSpec, work: Callable[..., Outcome]) -> Outcome:
        role = self._roles.get(spec.name)
        if role is None:
            role = self._roles[spec.name] = RoleSession(self._access(session_name=spec.name), self._config)
        policy_arn = f"arn:{partition(self.region)}:iam::aws:policy/root-task/{spec.policy}"
        try:
            sts = role.client("sts", endpoint_url=self.sts_url)
            answer = sts.assume_root(TargetPrincipal=account_id, TaskPolicyArn={"arn": policy_arn},
                                     DurationSeconds=spec.seconds)
        except (ClientError, BotoCoreError) as error:
            raise translate(error, self.role_arn, account_id, spec.policy) from None
        credentials = answer["Credentials"]
        expires = credentials.get("Expiration")
        logger.info("root session opened", extra={"account_id": account_id, "policy": spec.policy,
                                                  "session": spec.name, "seconds": spec.seconds})
        try:
            with self._root.in_session(credentials):
                return work(self._root, expires=expires)
        except (ClientError, BotoCoreError) as error:
            raise translate(error, self.role_arn, account_id, spec.policy, opened=True) from None
