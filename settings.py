"""RootMail's settings: read from the environment once, validated at start, every problem named at once."""
from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
import socket
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from core.sender_trust import DEFAULT_AWS_DOMAINS

ROOT = Path(__file__).resolve().parent


class SettingsError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("RootMail cannot start; fix these settings:\n" + "\n".join(f"  - {p}" for p in problems))


def _text(value: str) -> str:
    return value.strip()


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError("must be a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number
    return parse


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
        raise ValueError("must be true or false")
    return lowered in {"1", "true", "yes", "on"}


def _one_of(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        lowered = value.strip().lower()
        match = next((c for c in choices if c.lower() == lowered), None)
        if match is None:
            raise ValueError("must be one of " + ", ".join(choices))
        return match
    return parse


def _store_url(value: str) -> str:
    if value == "cosmos" or value.startswith("sqlite:///"):
        return value
    raise ValueError("must be sqlite:///PATH or cosmos")


def _path(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else ROOT / path


def _domains(value: str) -> tuple[str, ...]:
    return tuple(d.strip().lower() for d in value.split(",") if d.strip())


def _domains_keep_case(value: str) -> tuple[str, ...]:
    return tuple(d.strip() for d in value.split(",") if d.strip())


def _role_arn(value: str) -> str:
    value = value.strip()
    if value and not re.fullmatch(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}", value):
        raise ValueError("must be an IAM role ARN such as arn:aws:iam::111122223333:role/RootMailOrgReader")
    return value


def _ids(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i.strip().lower() for i in value.split(",") if i.strip()))


def _secret_keys(value: str) -> str:
    """Kept as text (the app builds the cipher); each comma-separated key must be base64 of 32 bytes."""
    for key in (k.strip() for k in value.split(",") if k.strip()):
        try:
            raw = base64.urlsafe_b64decode(key.replace("+", "-").replace("/", "_") + "=" * (-len(key) % 4))
        except (binascii.Error, ValueError):
            raise ValueError("each key must be base64 (for example: python -c \"import secrets, base64; "
                             "print(base64.b64encode(secrets.token_bytes(32)).decode())\")") from None
        if len(raw) != 32:
            raise ValueError(f"each key must be 32 bytes, base64-encoded; one is {len(raw)} bytes")
    return value.strip()


def _optional_path(value: str) -> Path | None:
    return _path(value.strip()) if value.strip() else None


def _url(value: str) -> str:
    """An https URL (plain http only to loopback, for tests and local fakes), without a trailing slash."""
    url = value.strip().rstrip("/")
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname or parts.scheme == "http" and _is_loopback(parts.hostname or ""):
        return url
    raise ValueError("must be an https:// URL (http:// only to loopback)")


# (environment variable, attribute, default, parser, secret, description, example)
SPEC: list[tuple[str, str, str, Callable[[str], Any], bool, str, str]] = [
    ("MicrosoftAppId", "app_id", "", _text, False,
     "Azure Bot app registration id. Empty: no authentication, loopback only.", "00000000-0000-0000-0000-000000000000"),
    ("MicrosoftAppPassword", "app_password", "", _text, True, "Client secret of the app registration.", "(secret)"),
    ("MicrosoftAppType", "app_type", "MultiTenant", _one_of("MultiTenant", "SingleTenant", "UserAssignedMSI"), False,
     "Bot identity type.", "SingleTenant"),
    ("MicrosoftAppTenantId", "app_tenant_id", "", _text, False,
     "Entra tenant id (SingleTenant, UserAssignedMSI).", "11111111-2222-3333-4444-555555555555"),
    ("ROOTMAIL_HOST", "host", "127.0.0.1", _text, False, "Address the HTTP server binds to.", "0.0.0.0"),
    ("ROOTMAIL_PORT", "port", "3978", _int_between(0, 65535), False, "HTTP port (/api/messages, /healthz).", "8080"),
    ("ROOTMAIL_STORE", "store_url", "sqlite:///var/rootmail.db", _store_url, False,
     "Where records live: a SQLite file (relative to the repo) or Azure Cosmos DB.", "cosmos"),
    ("ROOTMAIL_COSMOS_ENDPOINT", "cosmos_endpoint", "", _text, False,
     "Cosmos DB account endpoint (with ROOTMAIL_STORE=cosmos).", "https://acct.documents.azure.com:443/"),
    ("ROOTMAIL_COSMOS_KEY", "cosmos_key", "", _text, True,
     "Cosmos DB key; empty: Entra ID via DefaultAzureCredential.", "(secret)"),
    ("ROOTMAIL_COSMOS_DATABASE", "cosmos_database", "rootmail", _text, False, "Cosmos DB database name.", "rootmail"),
    ("ROOTMAIL_COSMOS_CREATE", "cosmos_create", "false", _bool, False,
     "Create the database and containers on start (needs control-plane rights).", "true"),
    ("ROOTMAIL_POOL_FILE", "pool_file", "config/pool.demo.json", _path, False,
     "JSON file describing the shared mailboxes and their aliases.", "/etc/rootmail/pool.json"),
    ("ROOTMAIL_POOL_LOW_WATERMARK", "pool_low_watermark", "20", _int_between(0, 100000), False,
     "Tell admins when a mailbox has fewer free aliases than this.", "50"),
    ("ROOTMAIL_ADMIN_CONVERSATION", "admin_conversation", "", _text, False,
     "Conversation id that gets admin notices and mail for unknown addresses.", "19:abc@thread.tacv2"),
    ("ROOTMAIL_MAIL_SOURCE", "mail_source", "smtp", _one_of("smtp", "graph", "graph-poll", "none"), False,
     "Where mail comes from: the local SMTP inbox; Microsoft Graph with change notifications plus delta catch-up "
     "(`graph`) or delta polling only (`graph-poll`, no public URL needed); or none.", "graph"),
    ("ROOTMAIL_SMTP_HOST", "smtp_host", "127.0.0.1", _text, False, "SMTP inbox bind address.", "127.0.0.1"),
    ("ROOTMAIL_SMTP_PORT", "smtp_port", "2525", _int_between(0, 65535), False, "SMTP inbox port.", "2525"),
    ("ROOTMAIL_SMTP_MAX_BYTES", "smtp_max_bytes", "10485760", _int_between(1024, 157286400), False,
     "Largest message the SMTP inbox accepts (larger: 552).", "26214400"),
    ("ROOTMAIL_SMTP_DOMAINS", "smtp_domains", "", _domains, False,
     "Comma-separated domains the inbox accepts mail for; empty: any.", "example.com,aws.example.com"),
    ("ROOTMAIL_GRAPH_TENANT_ID", "graph_tenant_id", "", _text, False,
     "Entra tenant id of the Exchange Online mailboxes (with a client secret or certificate).",
     "11111111-2222-3333-4444-555555555555"),
    ("ROOTMAIL_GRAPH_CLIENT_ID", "graph_client_id", "", _text, False,
     "App registration (client) id RootMail reads mail as; with neither secret nor certificate: the managed "
     "identity's client id, or empty for DefaultAzureCredential's choice.", "22222222-3333-4444-5555-666666666666"),
    ("ROOTMAIL_GRAPH_CLIENT_SECRET", "graph_client_secret", "", _text, True,
     "Client secret of that app registration (or use a certificate or a managed identity).", "(secret)"),
    ("ROOTMAIL_GRAPH_CERTIFICATE", "graph_certificate", "", _optional_path, False,
     "PEM or PKCS#12 file with the app registration's certificate and private key, instead of a secret.",
     "/etc/rootmail/graph.pem"),
    ("ROOTMAIL_GRAPH_MAILBOXES", "graph_mailboxes", "", _domains, False,
     "Comma-separated shared mailboxes to read; empty: every mailbox in the pool file.",
     "aws-root-01@example.com,aws-root@example.com"),
    ("ROOTMAIL_GRAPH_BASE_URL", "graph_base_url", "https://graph.microsoft.com/v1.0", _url, False,
     "Microsoft Graph endpoint (a national cloud's, or a local fake in tests).",
     "https://graph.microsoft.us/v1.0"),
    ("ROOTMAIL_GRAPH_PUBLIC_URL", "graph_public_url", "", _url, False,
     "Public https base URL of this app; Graph posts to /api/graph/notifications and /api/graph/lifecycle "
     "under it. Required with ROOTMAIL_MAIL_SOURCE=graph.", "https://rootmail.example.com"),
    ("ROOTMAIL_GRAPH_MOVE_TO", "graph_move_to", "RootMail", _text, False,
     "Mail folder (top level of each mailbox, created if missing) forwarded mail is moved to after it is "
     "marked read; empty: mark read and leave it in the Inbox.", "Forwarded by RootMail"),
    ("ROOTMAIL_GRAPH_DELTA_MINUTES", "graph_delta_minutes", "15", _int_between(1, 1440), False,
     "With change notifications: how often a delta query catches up whatever notifications missed.", "5"),
    ("ROOTMAIL_GRAPH_POLL_SECONDS", "graph_poll_seconds", "60", _int_between(5, 3600), False,
     "With ROOTMAIL_MAIL_SOURCE=graph-poll: seconds between delta queries.", "30"),
    ("ROOTMAIL_GRAPH_SYNC_MINUTES", "graph_sync_minutes", "60", _int_between(1, 10080), False,
     "How often the aliases (proxy addresses) of each mailbox are read from Exchange into the pool.", "15"),
    ("ROOTMAIL_GRAPH_SUBSCRIPTION_MINUTES", "graph_subscription_minutes", "4320", _int_between(45, 10080), False,
     "Lifetime asked for each change-notification subscription (Graph allows 10080 for mail); renewed when "
     "less than a third is left.", "10000"),
    ("ROOTMAIL_GRAPH_FIRST_SYNC_HOURS", "graph_first_sync_hours", "24", _int_between(0, 8760), False,
     "On the very first delta query of a mailbox, forward mail received this many hours back; older mail is "
     "left alone.", "72"),
    ("ROOTMAIL_GRAPH_TIMEOUT", "graph_timeout", "30", _int_between(1, 300), False,
     "Seconds one Graph request may take before it counts as failed and is retried.", "20"),
    ("ROOTMAIL_API_AUDIENCE", "api_audiences", "", _domains_keep_case, False,
     "Accepted `aud` of automation API tokens: the API app registration's client id and/or Application ID URI, "
     "comma-separated. Empty: the API (/api/v1) answers 503.", "api://rootmail"),
    ("ROOTMAIL_API_TENANT_ID", "api_tenant_id", "", _text, False,
     "Entra tenant whose tokens the API accepts; empty: MicrosoftAppTenantId.", "11111111-2222-3333-4444-555555555555"),
    ("ROOTMAIL_API_METADATA_URL", "api_metadata_url", "", _text, False,
     "OpenID metadata (issuer, jwks_uri) for API tokens; empty: Entra ID's v2.0 metadata of the tenant.",
     "https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration"),
    ("ROOTMAIL_ORG_ROLE_ARN", "org_role_arn", "", _role_arn, False,
     "Read-only role in the AWS management account RootMail assumes to list the organization's accounts "
     "(organizations:ListAccounts). Empty: no sync with AWS Organizations.",
     "arn:aws:iam::111122223333:role/RootMailOrgReader"),
    ("ROOTMAIL_ORG_EXTERNAL_ID", "org_external_id", "", _text, False,
     "External id the role's trust policy requires, if any.", "rootmail-7f3a"),
    ("ROOTMAIL_ORG_REGION", "org_region", "us-east-1", _text, False,
     "Region for the STS and Organizations calls.", "us-east-1"),
    ("ROOTMAIL_ORG_SYNC_MINUTES", "org_sync_minutes", "360", _int_between(0, 10080), False,
     "Minutes between scheduled syncs with AWS Organizations (drift is posted to the admin conversation when it "
     "changes); 0: only the `sync` command.", "60"),
    ("ROOTMAIL_ADOPT_ROLE_ARN", "adopt_role_arn", "", _role_arn, False,
     "Role in the AWS management account (or a delegated administrator) RootMail assumes to move accounts' root "
     "e-mail into RootMail with `adopt` (account:GetPrimaryEmail, account:StartPrimaryEmailUpdate, "
     "account:AcceptPrimaryEmailUpdate; organizations:DescribeOrganization and "
     "organizations:ListAWSServiceAccessForOrganization to check eligibility first). Uses ROOTMAIL_ORG_EXTERNAL_ID "
     "and ROOTMAIL_ORG_REGION. Empty: no `adopt`.", "arn:aws:iam::111122223333:role/RootMailAdopter"),
    ("ROOTMAIL_ADOPT_CONCURRENCY", "adopt_concurrency", "5", _int_between(1, 100), False,
     "Accounts one instance moves at a time (each waits for its code mail); AWS throttling slows it further.", "10"),
    ("ROOTMAIL_ADOPT_CODE_MINUTES", "adopt_code_minutes", "10", _int_between(1, 1440), False,
     "How long `adopt` waits for an account's code mail before asking AWS for a new code once; then the account "
     "fails.", "15"),
    ("ROOTMAIL_ALLOWED_TENANTS", "allowed_tenants", "", _ids, False,
     "Comma-separated Entra tenant ids whose users may use RootMail; others get a refusal. Empty: the bot's own "
     "tenant (MicrosoftAppTenantId), or any tenant when that is empty too.", "11111111-2222-3333-4444-555555555555"),
    ("ROOTMAIL_ADMINS", "admins", "", _ids, False,
     "Comma-separated Entra object ids of RootMail admins: they see every address, its mail and audit, may "
     "reveal any code and approve any transfer.", "aaaaaaaa-0000-0000-0000-000000000001"),
    ("ROOTMAIL_ADMIN_GROUP", "admin_group", "", _text, False,
     "Entra group object id whose members are admins too (nested groups count; members read from Microsoft Graph "
     "with a Graph mail source, else from ROOTMAIL_GROUPS_FILE).",
     "33333333-4444-5555-6666-777777777777"),
    ("ROOTMAIL_REQUESTER_GROUP", "requester_group", "", _text, False,
     "Entra group object id whose members may run `new` (admins always may); empty: anyone in an allowed tenant "
     "where RootMail is installed.", "44444444-5555-6666-7777-888888888888"),
    ("ROOTMAIL_GROUPS_FILE", "groups_file", "", _optional_path, False,
     "JSON file mapping group object ids to member object ids, read at start, for the two group settings; it "
     "wins over Microsoft Graph, and without a Graph mail source it is required for them.",
     "/etc/rootmail/groups.json"),
    ("ROOTMAIL_AUTHSERV_IDS", "authserv_ids", "rootmail.localhost", _domains, False,
     "authserv-id(s) your receiving mail boundary writes in Authentication-Results; only the topmost header, and "
     "only if it carries one of these, is trusted. `exchange-online` trusts Exchange Online's header, which has "
     "no id. The default matches the demo mail only.", "mx.example.com"),
    ("ROOTMAIL_AWS_SENDER_DOMAINS", "aws_sender_domains", ",".join(DEFAULT_AWS_DOMAINS), _domains, False,
     "Domains (and their subdomains) AWS sends root mail from; mail from anywhere else is quarantined.",
     "amazon.com,signin.aws"),
    ("ROOTMAIL_REVEAL_MINUTES", "reveal_minutes", "15", _int_between(1, 1440), False,
     "How long after arrival a code or reset link can be revealed; then its sealed copy is wiped.", "10"),
    ("ROOTMAIL_SECRET_KEY", "secret_key", "", _secret_keys, True,
     "Keys sealing codes and reset links at rest (AES-256-GCM): comma-separated base64 of 32 random bytes; the "
     "first seals, all open, so a new key goes first. Empty: one generated into var/secret.key (single "
     "instance only; instances sharing a store need the same key).", "(secret)"),
    ("ROOTMAIL_PAGE_SIZE", "page_size", "10", _int_between(1, 50), False, "Addresses per `list` page.", "20"),
    ("ROOTMAIL_LOG_LEVEL", "log_level", "INFO", _one_of("DEBUG", "INFO", "WARNING", "ERROR"), False,
     "Log level.", "DEBUG"),
    ("ROOTMAIL_LOG_FORMAT", "log_format", "text", _one_of("text", "json"), False,
     "Log lines as text or as one JSON object each.", "json"),
    ("ROOTMAIL_INSTANCE_ID", "instance_id", "", _text, False,
     "Name of this instance in leases; empty: hostname-pid.", "rootmail-1"),
    ("ROOTMAIL_DIGEST_THRESHOLD", "digest_threshold", "10", _int_between(0, 10000), False,
     "When more mails than this wait for one conversation, they are posted together as one digest card (each "
     "still revealable and looked up) instead of one card each; 0: never.", "20"),
    ("ROOTMAIL_DIGEST_MAX", "digest_max", "30", _int_between(2, 40), False,
     "Most mails one digest card carries (fewer when the card would grow past Teams' size limit).", "20"),
    ("ROOTMAIL_TEAMS_APP_RPS", "teams_app_rps", "50", _int_between(0, 1000), False,
     "Posts per second this instance sends over all conversations (Teams allows an app 50 per second per tenant; "
     "give each of N instances 50/N); the per-conversation limits always apply. 0: no app-wide limit.", "25"),
    ("ROOTMAIL_METRICS", "metrics", "loopback", _one_of("loopback", "on", "off"), False,
     "GET /metrics (Prometheus text): only to loopback clients, to anyone who reaches the port, or off.", "on"),
]


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
    metrics: str

    @property
    def authenticated(self) -> bool:
        return bool(self.app_id)

    def __repr__(self) -> str:  # secrets never reach a log line
        secret = {attr for _, attr, _, _, is_secret, _, _ in SPEC if is_secret}
        shown = ", ".join(f"{f.name}={'***' if f.name in secret and getattr(self, f.name) else getattr(self, f.name)!r}"
                          for f in fields(self))
        return f"Settings({shown})"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    if not s.app_id and not _is_loopback(s.host):
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
    if s.mail_source == "smtp" and not _is_loopback(s.smtp_host) and not s.smtp_domains:
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
    if url and not (url.scheme == "https" or (url.scheme == "http" and _is_loopback(url.hostname or ""))):
        problems.append("ROOTMAIL_API_METADATA_URL: must be https (plain http only on loopback)")
    return problems


def _protection_checks(s: Settings) -> list[str]:
    problems = []
    if s.mail_source == "smtp" and not _is_loopback(s.smtp_host) and s.authserv_ids == ("rootmail.localhost",):
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
