"""The settings as one frozen record, loaded from the environment once and checked across fields."""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from settings.parse import is_loopback
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
    allowed_tenants: tuple[str, ...]
    admins: tuple[str, ...]
    admin_group: str
    requester_group: str
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
    if not settings.instance_id:
        settings = Settings(**(values | {"instance_id": f"{socket.gethostname()}-{os.getpid()}"}))
    return settings


def _cross_checks(s: Settings) -> list[str]:
    problems = []
    if not s.app_id and not is_loopback(s.host):
        problems.append(f"ROOTMAIL_HOST={s.host!r}: without MicrosoftAppId the bot has no authentication and "
                        "may only bind to loopback (127.0.0.1)")
    if s.app_type == "MultiTenant" and s.app_id and not s.app_password:
        problems.append("MicrosoftAppPassword: required with MicrosoftAppId for MultiTenant")
    if s.app_type == "SingleTenant" and not (s.app_id and s.app_password and s.app_tenant_id):
        problems.append("SingleTenant needs MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId")
    if s.app_type == "UserAssignedMSI" and not (s.app_id and s.app_tenant_id):
        problems.append("UserAssignedMSI needs MicrosoftAppId and MicrosoftAppTenantId")
    if s.store_url == "cosmos" and not s.cosmos_endpoint:
        problems.append("ROOTMAIL_COSMOS_ENDPOINT: required with ROOTMAIL_STORE=cosmos")
    if not s.pool_file.is_file():
        problems.append(f"ROOTMAIL_POOL_FILE={str(s.pool_file)!r}: file not found")
    if s.mail_source == "smtp" and not is_loopback(s.smtp_host) and not s.smtp_domains:
        problems.append("ROOTMAIL_SMTP_DOMAINS: required when the SMTP inbox listens beyond loopback")
    problems += _protection_checks(s)
    if s.mail_source in ("graph", "graph-poll"):
        problems += _graph_checks(s)
    return problems + _automation_checks(s)


def _automation_checks(s: Settings) -> list[str]:
    problems = []
    if s.api_audiences and not (s.api_tenant_id or s.app_tenant_id):
        problems.append("ROOTMAIL_API_TENANT_ID: required with ROOTMAIL_API_AUDIENCE (or set MicrosoftAppTenantId)")
    url = urlsplit(s.api_metadata_url) if s.api_metadata_url else None
    if url and not (url.scheme == "https" or (url.scheme == "http" and is_loopback(url.hostname or ""))):
        problems.append("ROOTMAIL_API_METADATA_URL: must be https (plain http only on loopback)")
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


def _graph_checks(s: Settings) -> list[str]:
    problems = []
    if s.graph_client_secret and s.graph_certificate:
        problems.append("ROOTMAIL_GRAPH_CLIENT_SECRET and ROOTMAIL_GRAPH_CERTIFICATE: give one, not both")
    if (s.graph_client_secret or s.graph_certificate) and not (s.graph_tenant_id and s.graph_client_id):
        problems.append("a Graph client secret or certificate needs ROOTMAIL_GRAPH_TENANT_ID and "
                        "ROOTMAIL_GRAPH_CLIENT_ID")
    if s.graph_certificate and not s.graph_certificate.is_file():
        problems.append(f"ROOTMAIL_GRAPH_CERTIFICATE={str(s.graph_certificate)!r}: file not found")
    if s.mail_source == "graph" and not s.graph_public_url:
        problems.append("ROOTMAIL_GRAPH_PUBLIC_URL: required with ROOTMAIL_MAIL_SOURCE=graph (Graph posts change "
                        "notifications there); without a public URL use graph-poll")
    return problems
