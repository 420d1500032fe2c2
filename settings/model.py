"""The settings as one frozen record, loaded from the environment once and checked across fields."""
from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from core.intake.sender_trust import EXCHANGE_ONLINE
from settings.clouds import CLOUDS
from settings.parse import GUID, is_loopback
from settings.spec import SPEC


class SettingsError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("RootMail cannot start; fix these settings:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    app_id: str
    app_password: str
    app_type: str
    app_tenant_id: str
    service_url_hosts: tuple[str, ...]
    managed_identity_client_id: str
    host: str
    port: int
    store_url: str
    cosmos_endpoint: str
    cosmos_key: str
    cosmos_database: str
    cosmos_create: bool
    pool_file: Path
    pool_low_watermark: int
    admin_conversation: str
    mail_source: str
    smtp_host: str
    smtp_port: int
    smtp_max_bytes: int
    smtp_domains: tuple[str, ...]
    graph_cloud: str
    smtp_clients: tuple[str, ...]
    smtp_user: str
    smtp_password: str
    smtp_tls_cert: Path | None
    smtp_tls_key: Path | None
    graph_tenant_id: str
    graph_client_id: str
    graph_client_secret: str
    graph_certificate: Path | None
    graph_mailboxes: tuple[str, ...]
    graph_base_url: str
    graph_public_url: str
    graph_move_to: str
    graph_delta_minutes: int
    graph_poll_seconds: int
    graph_sync_minutes: int
    graph_subscription_minutes: int
    graph_first_sync_hours: int
    graph_timeout: int
    api_audiences: tuple[str, ...]
    api_tenant_id: str
    api_metadata_url: str
    org_role_arn: str
    org_external_id: str
    org_region: str
    org_sync_minutes: int
    adopt_role_arn: str
    adopt_concurrency: int
    adopt_code_minutes: int
    root_role_arn: str
    root_audit_minutes: int
    root_concurrency: int
    root_two_person: bool
    root_session_seconds: int
    root_recovery_minutes: int
    aws_web_identity_audience: str
    allowed_tenants: tuple[str, ...]
    admins: tuple[str, ...]
    admin_group: str
    requester_group: str
    limit_person_hourly: int
    limit_person_open: int
    limit_conversation_hourly: int
    limit_conversation_open: int
    groups_file: Path | None
    authserv_ids: tuple[str, ...]
    aws_sender_domains: tuple[str, ...]
    reveal_minutes: int
    secret_key: str
    page_size: int
    log_level: str
    log_format: str
    instance_id: str
    digest_threshold: int
    digest_max: int
    teams_app_rps: int
    urgent_mentions: tuple[str, ...]
    metrics: str

    @property
    def authenticated(self) -> bool:
        return bool(self.app_id)

    @property
    def graph_authority(self) -> str:
        return CLOUDS[self.graph_cloud].authority

    @property
    def graph_scope(self) -> str:
        return CLOUDS[self.graph_cloud].scope

    def __repr__(self) -> str:  # secrets never reach a log line
        secret = {attr for _, attr, _, _, is_secret, _, _ in SPEC if is_secret}
        shown = ", ".join(f"{f.name}={'***' if f.name in secret and getattr(self, f.name) else getattr(self, f.name)!r}"
                          for f in fields(self))
        return f"Settings({shown})"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, attr, default, parse, secret, _, _ in SPEC:
        raw = env.get(name, default)
        try:
            values[attr] = parse(raw)
        except ValueError as error:
            problems.append(f"{name}={'(secret)' if secret else repr(raw)}: {error}")
    if problems:
        raise SettingsError(problems)
    settings = Settings(**values)
    problems = _cross_checks(settings)
    if problems:
        raise SettingsError(problems)
    filled = {"instance_id": settings.instance_id or f"{socket.gethostname()}-{os.getpid()}",
              "graph_base_url": settings.graph_base_url or CLOUDS[settings.graph_cloud].base_url}
    return Settings(**(values | filled))


def _cross_checks(s: Settings) -> list[str]:
    problems = []
    if not s.app_id and not is_loopback(s.host):
        problems.append(f"ROOTMAIL_HOST={s.host!r}: without MicrosoftAppId the bot has no authentication and "
                        "may only bind to loopback (127.0.0.1)")
    problems += _bot_identity_checks(s)
    if s.store_url == "cosmos" and not s.cosmos_endpoint:
        problems.append("ROOTMAIL_COSMOS_ENDPOINT: required with ROOTMAIL_STORE=cosmos")
    if not s.pool_file.is_file():
        problems.append(f"ROOTMAIL_POOL_FILE={str(s.pool_file)!r}: file not found")
    if s.mail_source == "smtp" and not is_loopback(s.smtp_host) and not s.smtp_domains:
        problems.append("ROOTMAIL_SMTP_DOMAINS: required when the SMTP inbox listens beyond loopback")
    problems += _protection_checks(s)
    if s.mail_source == "smtp":
        problems += _smtp_checks(s)
    if s.mail_source in ("graph", "graph-poll"):
        problems += _graph_checks(s)
    return problems + _automation_checks(s)


NO_BOT_TENANT = ("New Azure Bot registrations are single-tenant (multi-tenant creation ended on 2025-07-31) and get "
                 "their tokens from their own tenant: set MicrosoftAppTenantId to the Directory (tenant) ID of the "
                 "bot's app registration (Azure Bot resource, Configuration). Only a bot registered as multi-tenant "
                 "before then may set MicrosoftAppType=MultiTenant instead")


def _bot_identity_checks(s: Settings) -> list[str]:
    """Without an app id RootMail runs unauthenticated (loopback only); with one, the identity must be complete, or
    every token request would fail at the first post instead of at start."""
    if s.app_type == "UserAssignedMSI" and not (s.app_id and s.app_tenant_id):
        return ["UserAssignedMSI needs MicrosoftAppId (the managed identity's client id) and MicrosoftAppTenantId"]
    if not s.app_id:
        return []
    if s.app_type == "MultiTenant" and not s.app_password:
        return ["MicrosoftAppPassword: required with MicrosoftAppId for MultiTenant"]
    missing = [name for name, value in (("MicrosoftAppTenantId", s.app_tenant_id),
                                        ("MicrosoftAppPassword", s.app_password)) if not value]
    if s.app_type == "SingleTenant" and missing:
        hint = f". {NO_BOT_TENANT}" if not s.app_tenant_id else ""
        return [f"{' and '.join(missing)}: required with MicrosoftAppId for a SingleTenant bot{hint}"]
    return []


V2_METADATA_PATH = "/v2.0/.well-known/openid-configuration"


def _automation_checks(s: Settings) -> list[str]:
    problems = []
    if s.api_audiences and not (s.api_tenant_id or s.app_tenant_id):
        problems.append("ROOTMAIL_API_TENANT_ID: required with ROOTMAIL_API_AUDIENCE (or set MicrosoftAppTenantId)")
    if s.api_audiences and not any(GUID.fullmatch(audience) for audience in s.api_audiences):
        problems.append(f"ROOTMAIL_API_AUDIENCE={','.join(s.api_audiences)!r}: name the API app registration's "
                        "Application (client) ID, a GUID. Entra v2.0 access tokens always carry it in aud, never the "
                        "Application ID URI (api://...); add the URI only for v1.0 tokens asked for by it")
    url = urlsplit(s.api_metadata_url) if s.api_metadata_url else None
    if url and not (url.scheme == "https" or (url.scheme == "http" and is_loopback(url.hostname or ""))):
        problems.append("ROOTMAIL_API_METADATA_URL: must be https (plain http only on loopback)")
    if url and not url.path.endswith(V2_METADATA_PATH):
        problems.append(f"ROOTMAIL_API_METADATA_URL: must be the tenant's v2.0 document, ending in {V2_METADATA_PATH} "
                        "(the v1.0 one is found by leaving out /v2.0)")
    if s.root_role_arn and s.org_region == "aws-global":
        problems.append("ROOTMAIL_ORG_REGION: AssumeRoot (ROOTMAIL_ROOT_ROLE_ARN) needs a regional STS endpoint; "
                        "aws-global is the global one, which AssumeRoot does not support. Name a region.")
    if s.aws_web_identity_audience and s.org_external_id:
        problems.append("ROOTMAIL_ORG_EXTERNAL_ID: AssumeRoleWithWebIdentity takes no external id (the roles' trust "
                        "pins the identity's subject instead); remove it with ROOTMAIL_AWS_WEB_IDENTITY_AUDIENCE")
    return problems


def _protection_checks(s: Settings) -> list[str]:
    problems = []
    if s.mail_source == "smtp" and not is_loopback(s.smtp_host) and s.authserv_ids == ("rootmail.localhost",):
        problems.append("ROOTMAIL_AUTHSERV_IDS: set it to the id your mail boundary writes in Authentication-Results "
                        "when the SMTP inbox listens beyond loopback (the default trusts the demo mail)")
    if (s.admin_group or s.requester_group) and s.groups_file is None and not s.mail_source.startswith("graph"):
        problems.append("ROOTMAIL_GROUPS_FILE: required with ROOTMAIL_ADMIN_GROUP or ROOTMAIL_REQUESTER_GROUP "
                        "unless the mail source is Microsoft Graph (group members are read from one of them)")
    if s.groups_file is not None and not s.groups_file.is_file():
        problems.append(f"ROOTMAIL_GROUPS_FILE={str(s.groups_file)!r}: file not found")
    if not s.aws_sender_domains:
        problems.append("ROOTMAIL_AWS_SENDER_DOMAINS: name at least one domain, or no mail can be verified")
    return problems


def _smtp_checks(s: Settings) -> list[str]:
    """The inbox believes Authentication-Results only from its mail boundary (mail.smtp_trust)."""
    problems = []
    if EXCHANGE_ONLINE in s.authserv_ids:
        problems.append(f"ROOTMAIL_AUTHSERV_IDS={EXCHANGE_ONLINE!r}: Exchange Online's header carries no "
                        "authserv-id, so over SMTP anyone could write one that passes; name the id your boundary "
                        "writes (exchange-online is for the Microsoft Graph source)")
    if bool(s.smtp_user) != bool(s.smtp_password):
        problems.append("ROOTMAIL_SMTP_USER and ROOTMAIL_SMTP_PASSWORD: give both for SMTP AUTH, or neither")
    if s.smtp_user and not (s.smtp_tls_cert and s.smtp_tls_key):
        problems.append("ROOTMAIL_SMTP_TLS_CERT and ROOTMAIL_SMTP_TLS_KEY: SMTP AUTH is offered only after STARTTLS, "
                        "so it needs a certificate and its key")
    for name, file in (("ROOTMAIL_SMTP_TLS_CERT", s.smtp_tls_cert), ("ROOTMAIL_SMTP_TLS_KEY", s.smtp_tls_key)):
        if file is not None and not file.is_file():
            problems.append(f"{name}={str(file)!r}: file not found")
    beyond_loopback = not is_loopback(s.smtp_host)
    only_loopback = all(ipaddress.ip_network(n).is_loopback for n in s.smtp_clients)
    if beyond_loopback and only_loopback and not s.smtp_user:
        problems.append("ROOTMAIL_SMTP_CLIENTS or ROOTMAIL_SMTP_USER: the SMTP inbox listens beyond loopback, so name "
                        "the networks of your mail boundary, or give it an SMTP AUTH login, or nothing it receives "
                        "can be verified")
    return problems


def _graph_checks(s: Settings) -> list[str]:
    problems = []
    if s.graph_client_secret and s.graph_certificate:
        problems.append("ROOTMAIL_GRAPH_CLIENT_SECRET and ROOTMAIL_GRAPH_CERTIFICATE: give one, not both")
    if (s.graph_client_secret or s.graph_certificate) and not (s.graph_tenant_id and s.graph_client_id):
        problems.append("a Graph client secret or certificate needs ROOTMAIL_GRAPH_TENANT_ID and "
                        "ROOTMAIL_GRAPH_CLIENT_ID")
    if s.graph_certificate and not s.graph_certificate.is_file():
        problems.append(f"ROOTMAIL_GRAPH_CERTIFICATE={str(s.graph_certificate)!r}: file not found")
    cloud, base = CLOUDS[s.graph_cloud], urlsplit(s.graph_base_url) if s.graph_base_url else None
    if base and not is_loopback(base.hostname or "") and f"https://{base.hostname}" != cloud.graph:
        problems.append(f"ROOTMAIL_GRAPH_BASE_URL={s.graph_base_url!r}: ROOTMAIL_GRAPH_CLOUD={s.graph_cloud} talks "
                        f"to {cloud.graph}; set ROOTMAIL_GRAPH_CLOUD to the mailboxes' cloud and leave the base URL "
                        "empty (its token authority and scope must match)")
    if s.mail_source == "graph" and not s.graph_public_url:
        problems.append("ROOTMAIL_GRAPH_PUBLIC_URL: required with ROOTMAIL_MAIL_SOURCE=graph (Graph posts change "
                        "notifications there); without a public URL use graph-poll")
    return problems
