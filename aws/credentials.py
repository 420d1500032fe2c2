"""Temporary credentials for one IAM role, renewed before they expire: the piece every boto3 client in aws/ stands on.

Two ways in. Keyless (`web_identity` given): AssumeRoleWithWebIdentity with an Entra ID token for RootMail's managed
identity; the call is unsigned, so no AWS key exists anywhere. Otherwise AssumeRole on boto3's default chain (keys,
profile, instance role), for hosts outside Azure. Either way botocore renews the role's credentials when less than
15 minutes are left (its advisory refresh) and insists at 10, so a call never goes out on expired credentials.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import boto3
import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.credentials import CredentialProvider, DeferredRefreshableCredentials

logger = logging.getLogger(__name__)

TokenSource = Callable[[], str]  # a web identity token (JWT); called in a worker thread, may block
WEB_IDENTITY = "AssumeRoleWithWebIdentity"


@dataclass(frozen=True)
class RoleAccess:
    """How to become one role. `endpoint_url` is for tests against a local AWS fake; production leaves it None."""

    role_arn: str
    session_name: str
    region: str = "us-east-1"
    external_id: str = ""  # AssumeRole only: AssumeRoleWithWebIdentity has no external id, the trust pins the subject
    web_identity: TokenSource | None = None
    endpoint_url: str | None = None
    seconds: int = 3600

    @property
    def keyless(self) -> bool:
        return self.web_identity is not None


class RoleSession:
    """boto3 clients that act as the role. Nothing is called until the first client call needs credentials."""

    def __init__(self, access: RoleAccess, config: Config):
        self.access, self._config = access, config
        core = botocore.session.get_session()
        # our provider first: the default chain is never asked, so stray keys in the environment are never used
        core.get_component("credential_provider").insert_before("env", _RoleProvider(self._fetch))
        self._session = boto3.session.Session(botocore_session=core, region_name=access.region)

    def client(self, service: str, endpoint_url: str | None = None) -> Any:
        """A client acting as the role; `endpoint_url` pins one service's endpoint (AssumeRoot's regional STS)."""
        return self._session.client(service, config=self._config, endpoint_url=self.access.endpoint_url or endpoint_url)

    def _fetch(self) -> dict[str, str]:
        """botocore's refresh callback: the role's next set of credentials."""
        access = self.access
        options: dict[str, Any] = {"RoleArn": access.role_arn, "RoleSessionName": access.session_name,
                                   "DurationSeconds": access.seconds}
        if access.web_identity is not None:
            sts = self._plain_sts(signed=False)
            answer = sts.assume_role_with_web_identity(WebIdentityToken=access.web_identity(), **options)
        else:
            if access.external_id:
                options["ExternalId"] = access.external_id
            answer = self._plain_sts(signed=True).assume_role(**options)
        credentials = answer["Credentials"]
        expires = credentials.get("Expiration")
        if not isinstance(expires, datetime):
            expires = datetime.now(timezone.utc) + timedelta(seconds=access.seconds)
        logger.info("assumed AWS role", extra={"role": access.role_arn, "keyless": access.keyless,
                                               "expires": expires.isoformat()})
        return {"access_key": credentials["AccessKeyId"], "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"], "expiry_time": expires.isoformat()}

    def _plain_sts(self, signed: bool) -> Any:
        """STS outside this session (its credentials are what we are fetching). Web identity calls go unsigned:
        AssumeRoleWithWebIdentity needs no AWS credentials, and none must be looked up for it."""
        config = self._config if signed else self._config.merge(Config(signature_version=UNSIGNED))
        return boto3.session.Session(region_name=self.access.region).client(
            "sts", config=config, endpoint_url=self.access.endpoint_url)


class _RoleProvider(CredentialProvider):
    METHOD = "rootmail-role"
    CANONICAL_NAME = "rootmail-role"

    def __init__(self, fetch: Callable[[], dict[str, str]]):
        super().__init__()
        self._fetch = fetch

    def load(self) -> DeferredRefreshableCredentials:
        return DeferredRefreshableCredentials(refresh_using=self._fetch, method=self.METHOD)
