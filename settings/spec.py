"""Every RootMail setting, in one table: variable, attribute, default, parser, secret, meaning, example.

The README's settings table is generated from it (scripts/settings_table.py; a test keeps them equal).
"""
from __future__ import annotations

from typing import Any, Callable

from core.intake.aws_domains import DEFAULT_SENDER_DOMAINS
from settings import parse as p
from settings.clouds import CLOUDS

TENANT_GUID = ("the directory (tenant) ID (Entra admin center, Overview)",
               "a domain name does not work: change notifications carry the tenant's ID and RootMail compares them")

# (environment variable, attribute, default, parser, secret, description, example)
SPEC: list[tuple[str, str, str, Callable[[str], Any], bool, str, str]] = [
    ("MicrosoftAppId", "app_id", "", p.text, False,
     "Azure Bot app registration id. Empty: no authentication, loopback only.", "00000000-0000-0000-0000-000000000000"),
    ("MicrosoftAppPassword", "app_password", "", p.text, True, "Client secret of the app registration.", "(secret)"),
    ("MicrosoftAppType", "app_type", "SingleTenant", p.one_of("MultiTenant", "SingleTenant", "UserAssignedMSI"), False,
     "Bot identity type: SingleTenant (every Azure Bot created since multi-tenant creation ended on 2025-07-31) or "
     "UserAssignedMSI; MultiTenant only for a bot registered as multi-tenant before then.", "SingleTenant"),
    ("MicrosoftAppTenantId", "app_tenant_id", "", p.tenant_id, False,
     "Directory (tenant) ID, a GUID, of the bot's app registration; required with MicrosoftAppId for SingleTenant "
     "and UserAssignedMSI: the bot's tokens come from this tenant.", "11111111-2222-3333-4444-555555555555"),
    ("ROOTMAIL_MANAGED_IDENTITY_CLIENT_ID", "managed_identity_client_id", "", p.text, False,
     "Client id of RootMail's user-assigned managed identity, for Cosmos DB without a key and AWS web identity "
     "tokens (azure-identity must be told which user-assigned identity to use). Empty: the system-assigned one.",
     "99999999-8888-7777-6666-555555555555"),
    ("ROOTMAIL_SERVICE_URL_HOSTS", "service_url_hosts", "", p.domains, False,
     "Bot Connector hosts RootMail may call besides Teams' own (bot/service_urls.py lists those): a sovereign cloud's "
     "host Microsoft's pages do not name. Plain http only to loopback.", "smba.example.cn"),
    ("ROOTMAIL_HOST", "host", "127.0.0.1", p.text, False, "Address the HTTP server binds to.", "0.0.0.0"),
    ("ROOTMAIL_PORT", "port", "3978", p.int_between(0, 65535), False, "HTTP port (/api/messages, /healthz).", "8080"),
    ("ROOTMAIL_STORE", "store_url", "sqlite:///var/rootmail.db", p.store_url, False,
     "Where records live: a SQLite file (relative to the repo) or Azure Cosmos DB.", "cosmos"),
    ("ROOTMAIL_COSMOS_ENDPOINT", "cosmos_endpoint", "", p.text, False,
     "Cosmos DB account endpoint (with ROOTMAIL_STORE=cosmos).", "https://acct.documents.azure.com:443/"),
    ("ROOTMAIL_COSMOS_KEY", "cosmos_key", "", p.text, True,
     "Cosmos DB key; empty: Entra ID via DefaultAzureCredential.", "(secret)"),
    ("ROOTMAIL_COSMOS_DATABASE", "cosmos_database", "rootmail", p.text, False, "Cosmos DB database name.", "rootmail"),
    ("ROOTMAIL_COSMOS_CREATE", "cosmos_create", "false", p.boolean, False,
     "Create the database and containers on start (needs control-plane rights).", "true"),
    ("ROOTMAIL_POOL_FILE", "pool_file", "config/pool.demo.json", p.path, False,
     "JSON file describing the shared mailboxes and their aliases.", "/etc/rootmail/pool.json"),
    ("ROOTMAIL_POOL_LOW_WATERMARK", "pool_low_watermark", "20", p.int_between(0, 100000), False,
     "Tell admins when a mailbox has fewer free aliases than this.", "50"),
    ("ROOTMAIL_ADMIN_CONVERSATION", "admin_conversation", "", p.text, False,
     "Conversation id that gets admin notices and mail for unknown addresses.", "19:abc@thread.tacv2"),
    ("ROOTMAIL_MAIL_SOURCE", "mail_source", "smtp", p.one_of("smtp", "graph", "graph-poll", "none"), False,
     "Where mail comes from: the local SMTP inbox; Microsoft Graph with change notifications plus delta catch-up "
     "(`graph`) or delta polling only (`graph-poll`, no public URL needed); or none.", "graph"),
    ("ROOTMAIL_SMTP_HOST", "smtp_host", "127.0.0.1", p.text, False, "SMTP inbox bind address.", "127.0.0.1"),
    ("ROOTMAIL_SMTP_PORT", "smtp_port", "2525", p.int_between(0, 65535), False, "SMTP inbox port.", "2525"),
    ("ROOTMAIL_SMTP_MAX_BYTES", "smtp_max_bytes", "10485760", p.int_between(1024, 157286400), False,
     "Largest message the SMTP inbox accepts (larger: 552).", "26214400"),
    ("ROOTMAIL_SMTP_DOMAINS", "smtp_domains", "", p.domains, False,
     "Comma-separated domains the inbox accepts mail for; empty: any.", "example.com,aws.example.com"),
    ("ROOTMAIL_SMTP_CLIENTS", "smtp_clients", "127.0.0.0/8,::1", p.networks, False,
     "Networks of your mail boundary (the MX that verifies senders): only clients connecting from these, or logged "
     "in with SMTP AUTH, may vouch for a mail with Authentication-Results; from anyone else that header is dropped "
     "and the mail is quarantined as unverified.", "10.20.0.0/24,2001:db8::25"),
    ("ROOTMAIL_SMTP_USER", "smtp_user", "", p.text, False,
     "SMTP AUTH user the mail boundary logs in as (LOGIN or PLAIN, offered only after STARTTLS); a logged-in client "
     "is trusted like one from ROOTMAIL_SMTP_CLIENTS. Needs the password and the TLS certificate and key.",
     "rootmail-mx"),
    ("ROOTMAIL_SMTP_PASSWORD", "smtp_password", "", p.text, True, "Password for ROOTMAIL_SMTP_USER.", "(secret)"),
    ("ROOTMAIL_SMTP_TLS_CERT", "smtp_tls_cert", "", p.optional_path, False,
     "PEM certificate (chain) the SMTP inbox offers with STARTTLS.", "/etc/rootmail/smtp.pem"),
    ("ROOTMAIL_SMTP_TLS_KEY", "smtp_tls_key", "", p.optional_path, False,
     "PEM private key of that certificate.", "/etc/rootmail/smtp.key"),
    ("ROOTMAIL_GRAPH_CLOUD", "graph_cloud", "public", p.one_of(*CLOUDS), False,
     "Microsoft cloud of the mailboxes; sets the Graph endpoint, the Entra ID authority and the token scope "
     "together: " + "; ".join(f"`{name}` {cloud.meaning}: {cloud.graph.removeprefix('https://')} and "
                              f"{cloud.authority}" for name, cloud in CLOUDS.items()) + ".", "usgov"),
    ("ROOTMAIL_GRAPH_TENANT_ID", "graph_tenant_id", "", p.guid(*TENANT_GUID), False,
     "Entra directory (tenant) ID of the Exchange Online mailboxes, a GUID (with a client secret or certificate; "
     "notifications from any other tenant are refused).", "11111111-2222-3333-4444-555555555555"),
    ("ROOTMAIL_GRAPH_CLIENT_ID", "graph_client_id", "", p.guid("the application (client) ID, or a managed "
                                                                "identity's client ID"), False,
     "App registration (client) id RootMail reads mail as; with neither secret nor certificate: the managed "
     "identity's client id, or empty for DefaultAzureCredential's choice.", "22222222-3333-4444-5555-666666666666"),
    ("ROOTMAIL_GRAPH_CLIENT_SECRET", "graph_client_secret", "", p.text, True,
     "Client secret of that app registration (or use a certificate or a managed identity).", "(secret)"),
    ("ROOTMAIL_GRAPH_CERTIFICATE", "graph_certificate", "", p.optional_path, False,
     "PEM or PKCS#12 file with the app registration's certificate and private key, instead of a secret.",
     "/etc/rootmail/graph.pem"),
    ("ROOTMAIL_GRAPH_MAILBOXES", "graph_mailboxes", "", p.domains, False,
     "Comma-separated shared mailboxes to read (their pool file addresses); empty: every mailbox in the pool file.",
     "aws-root-01@example.com,aws-root@example.com"),
    ("ROOTMAIL_GRAPH_BASE_URL", "graph_base_url", "", p.url, False,
     "Microsoft Graph endpoint; empty: the one of ROOTMAIL_GRAPH_CLOUD. Only for a local fake in tests "
     "(loopback); a real endpoint must be the cloud's own.", "http://127.0.0.1:8081/v1.0"),
    ("ROOTMAIL_GRAPH_PUBLIC_URL", "graph_public_url", "", p.url, False,
     "Public https base URL of this app; Graph posts to /api/graph/notifications and /api/graph/lifecycle "
     "under it. Required with ROOTMAIL_MAIL_SOURCE=graph.", "https://rootmail.example.com"),
    ("ROOTMAIL_GRAPH_MOVE_TO", "graph_move_to", "RootMail", p.text, False,
     "Mail folder (top level of each mailbox, created if missing) forwarded mail is moved to after it is "
     "marked read; empty: mark read and leave it in the Inbox.", "Forwarded by RootMail"),
    ("ROOTMAIL_GRAPH_DELTA_MINUTES", "graph_delta_minutes", "15", p.int_between(1, 1440), False,
     "With change notifications: how often a delta query catches up whatever notifications missed.", "5"),
    ("ROOTMAIL_GRAPH_POLL_SECONDS", "graph_poll_seconds", "60", p.int_between(5, 3600), False,
     "With ROOTMAIL_MAIL_SOURCE=graph-poll: seconds between delta queries. With graph: how often Junk Email, which "
     "has no subscription, is read.", "30"),
    ("ROOTMAIL_GRAPH_SYNC_MINUTES", "graph_sync_minutes", "60", p.int_between(1, 10080), False,
     "How often the aliases (proxy addresses) of each mailbox are read from Exchange into the pool.", "15"),
    ("ROOTMAIL_GRAPH_SUBSCRIPTION_MINUTES", "graph_subscription_minutes", "4320", p.int_between(45, 10080), False,
     "Lifetime asked for each change-notification subscription (Graph allows 10080 for mail); renewed when "
     "less than a third is left.", "10000"),
    ("ROOTMAIL_GRAPH_FIRST_SYNC_HOURS", "graph_first_sync_hours", "24", p.int_between(0, 8760), False,
     "On the very first delta query of a mailbox, forward mail received this many hours back; older mail is "
     "left alone.", "72"),
    ("ROOTMAIL_GRAPH_TIMEOUT", "graph_timeout", "30", p.int_between(1, 300), False,
     "Seconds one Graph request may take before it counts as failed and is retried.", "20"),
    ("ROOTMAIL_API_AUDIENCE", "api_audiences", "", p.domains_keep_case, False,
     "The API app registration's Application (client) ID, a GUID: the `aud` of its v2.0 tokens and of v1.0 tokens "
     "asked for by client id. Add its Application ID URI (comma-separated) only to accept v1.0 tokens asked for by "
     "that URI. Empty: the API (/api/v1) answers 503.", "55555555-6666-7777-8888-999999999999"),
    ("ROOTMAIL_API_TENANT_ID", "api_tenant_id", "", p.tenant_id, False,
     "Tenant ID (a GUID) whose tokens the API accepts; empty: MicrosoftAppTenantId.",
     "11111111-2222-3333-4444-555555555555"),
    ("ROOTMAIL_API_METADATA_URL", "api_metadata_url", "", p.text, False,
     "v2.0 OpenID metadata (issuer, jwks_uri) for API tokens; v1.0 tokens are checked against the same URL without "
     "/v2.0. Empty: Entra ID's metadata of the tenant.",
     "https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration"),
    ("ROOTMAIL_ORG_ROLE_ARN", "org_role_arn", "", p.role_arn, False,
     "Read-only role in the AWS management account RootMail assumes to list the organization's accounts "
     "(organizations:ListAccounts). Empty: no sync with AWS Organizations.",
     "arn:aws:iam::111122223333:role/RootMailOrgReader"),
    ("ROOTMAIL_ORG_EXTERNAL_ID", "org_external_id", "", p.text, False,
     "External id the role's trust policy requires, if any.", "rootmail-7f3a"),
    ("ROOTMAIL_ORG_REGION", "org_region", "us-east-1", p.text, False,
     "Region for the STS and Organizations calls.", "us-east-1"),
    ("ROOTMAIL_ORG_SYNC_MINUTES", "org_sync_minutes", "360", p.int_between(0, 10080), False,
     "Minutes between scheduled syncs with AWS Organizations (drift is posted to the admin conversation when it "
     "changes); 0: only the `sync` command.", "60"),
    ("ROOTMAIL_ADOPT_ROLE_ARN", "adopt_role_arn", "", p.role_arn, False,
     "Role in the AWS management account (or a delegated administrator) RootMail assumes to move accounts' root "
     "e-mail into RootMail with `adopt` (account:GetPrimaryEmail, account:StartPrimaryEmailUpdate, "
     "account:AcceptPrimaryEmailUpdate; organizations:DescribeOrganization and "
     "organizations:ListAWSServiceAccessForOrganization to check eligibility first). Uses ROOTMAIL_ORG_EXTERNAL_ID "
     "and ROOTMAIL_ORG_REGION. Empty: no `adopt`.", "arn:aws:iam::111122223333:role/RootMailAdopter"),
    ("ROOTMAIL_ADOPT_CONCURRENCY", "adopt_concurrency", "5", p.int_between(1, 100), False,
     "Accounts one instance moves at a time (each waits for its code mail); AWS throttling slows it further.", "10"),
    ("ROOTMAIL_ADOPT_CODE_MINUTES", "adopt_code_minutes", "10", p.int_between(1, 1440), False,
     "How long `adopt` waits for an account's code mail before asking AWS for a new code once; then the account "
     "fails.", "15"),
    ("ROOTMAIL_ROOT_ROLE_ARN", "root_role_arn", "", p.role_arn, False,
     "Role in the AWS management account (or the IAM delegated administrator) RootMail assumes for centralized root "
     "access: iam:ListOrganizationsFeatures, organizations:DescribeOrganization and ListAccounts, and sts:AssumeRoot "
     "limited to the five root-task policies. Uses ROOTMAIL_ORG_EXTERNAL_ID and ROOTMAIL_ORG_REGION (AssumeRoot goes "
     "to that region's STS endpoint). Empty: no `root status` and no root tasks.",
     "arn:aws:iam::111122223333:role/RootMailRootAccess"),
    ("ROOTMAIL_ROOT_AUDIT_MINUTES", "root_audit_minutes", "1440", p.int_between(0, 10080), False,
     "Minutes between scheduled root posture audits (posted to the admin conversation when the posture changes); "
     "0: only `root status`.", "360"),
    ("ROOTMAIL_ROOT_CONCURRENCY", "root_concurrency", "8", p.int_between(1, 50), False,
     "Member accounts one audit reads at a time, each in its own root session; AWS throttling slows it further.", "16"),
    ("ROOTMAIL_ROOT_TWO_PERSON", "root_two_person", "true", p.boolean, False,
     "Two-person rule for root tasks: the admin who approves must not be the person who asked. false: an admin may "
     "approve their own request.", "true"),
    ("ROOTMAIL_ROOT_SESSION_SECONDS", "root_session_seconds", "300", p.int_between(60, 900), False,
     "Lifetime asked of AssumeRoot for a root task (AWS allows at most 900 s); the task's calls take seconds.", "120"),
    ("ROOTMAIL_ROOT_RECOVERY_MINUTES", "root_recovery_minutes", "60", p.int_between(5, 1440), False,
     "Default window of a password recovery: how long after approval the requester may reveal the reset link "
     "(`--minutes` asks for another, up to a day).", "30"),
    ("ROOTMAIL_AWS_WEB_IDENTITY_AUDIENCE", "aws_web_identity_audience", "", p.text, False,
     "Keyless AWS: the App ID URI of the Entra application RootMail's managed identity gets tokens for; RootMail "
     "assumes ROOTMAIL_ORG_ROLE_ARN and ROOTMAIL_ADOPT_ROLE_ARN with AssumeRoleWithWebIdentity and that token "
     "(infra/aws/rootmail-roles.yaml trusts it). Empty: AssumeRole on boto3's default credentials (keys, profile, "
     "instance role).", "api://rootmail-aws-federation"),
    ("ROOTMAIL_ALLOWED_TENANTS", "allowed_tenants", "", p.ids, False,
     "Comma-separated Entra tenant ids whose users may use RootMail; others get a refusal. Empty: the bot's own "
     "tenant (MicrosoftAppTenantId), or any tenant when that is empty too.", "11111111-2222-3333-4444-555555555555"),
    ("ROOTMAIL_ADMINS", "admins", "", p.ids, False,
     "Comma-separated Entra object ids of RootMail admins: they see every address, its mail and audit, may "
     "reveal any code and approve any transfer.", "aaaaaaaa-0000-0000-0000-000000000001"),
    ("ROOTMAIL_ADMIN_GROUP", "admin_group", "", p.text, False,
     "Entra group object id whose members are admins too (nested groups count; members read from Microsoft Graph "
     "with a Graph mail source, else from ROOTMAIL_GROUPS_FILE).",
     "33333333-4444-5555-6666-777777777777"),
    ("ROOTMAIL_REQUESTER_GROUP", "requester_group", "", p.text, False,
     "Entra group object id whose members may run `new` (admins always may); empty: anyone in an allowed tenant "
     "where RootMail is installed.", "44444444-5555-6666-7777-888888888888"),
    ("ROOTMAIL_LIMIT_PERSON_HOURLY", "limit_person_hourly", "5", p.int_between(0, 10000), False,
     "New addresses one person may ask for (`new`) per hour; over it they get a refusal card, the refusal is audited "
     "and admins are told once a day. Admins are exempt; the automation API is not limited (its callers hold an app "
     "role). 0: no limit.", "10"),
    ("ROOTMAIL_LIMIT_PERSON_OPEN", "limit_person_open", "5", p.int_between(0, 10000), False,
     "Addresses one person may hold open (allocated, not yet linked to an AWS account, not retired) before `new` "
     "refuses them more. 0: no limit.", "20"),
    ("ROOTMAIL_LIMIT_CONVERSATION_HOURLY", "limit_conversation_hourly", "10", p.int_between(0, 10000), False,
     "New addresses one channel or chat may get through `new` per hour, whoever asks. 0: no limit.", "30"),
    ("ROOTMAIL_LIMIT_CONVERSATION_OPEN", "limit_conversation_open", "20", p.int_between(0, 10000), False,
     "Open addresses (not linked, not retired) one channel or chat may own before `new` refuses more there. "
     "0: no limit.", "50"),
    ("ROOTMAIL_GROUPS_FILE", "groups_file", "", p.optional_path, False,
     "JSON file mapping group object ids to member object ids, read at start, for the two group settings; it "
     "wins over Microsoft Graph, and without a Graph mail source it is required for them.",
     "/etc/rootmail/groups.json"),
    ("ROOTMAIL_AUTHSERV_IDS", "authserv_ids", "rootmail.localhost", p.domains, False,
     "authserv-id(s) your receiving mail boundary writes in Authentication-Results; only the topmost header, and "
     "only if it carries one of these, is trusted. `exchange-online` trusts Exchange Online's header, which has "
     "no id. The default matches the demo mail only.", "mx.example.com"),
    ("ROOTMAIL_AWS_SENDER_DOMAINS", "aws_sender_domains", ",".join(DEFAULT_SENDER_DOMAINS), p.domains, False,
     "Domains (and their subdomains) AWS sends root mail from (core/intake/aws_domains.py names the source of "
     "each); mail from anywhere else is quarantined.",
     "amazon.com,signin.aws"),
    ("ROOTMAIL_REVEAL_MINUTES", "reveal_minutes", "15", p.int_between(1, 1440), False,
     "How long after arrival a code or reset link can be revealed; then its sealed copy is wiped.", "10"),
    ("ROOTMAIL_SECRET_KEY", "secret_key", "", p.secret_keys, True,
     "Keys sealing codes and reset links at rest (AES-256-GCM): comma-separated base64 of 32 random bytes; the "
     "first seals, all open, so a new key goes first. Empty: one generated into var/secret.key (single "
     "instance only; instances sharing a store need the same key).", "(secret)"),
    ("ROOTMAIL_PAGE_SIZE", "page_size", "10", p.int_between(1, 50), False, "Addresses per `list` page.", "20"),
    ("ROOTMAIL_LOG_LEVEL", "log_level", "INFO", p.one_of("DEBUG", "INFO", "WARNING", "ERROR"), False,
     "Log level.", "DEBUG"),
    ("ROOTMAIL_LOG_FORMAT", "log_format", "text", p.one_of("text", "json"), False,
     "Log lines as text or as one JSON object each.", "json"),
    ("ROOTMAIL_INSTANCE_ID", "instance_id", "", p.text, False,
     "Name of this instance in leases; empty: hostname-pid.", "rootmail-1"),
    ("ROOTMAIL_DIGEST_THRESHOLD", "digest_threshold", "10", p.int_between(0, 10000), False,
     "When more mails than this wait for one conversation, they are posted together as one digest card (each "
     "still revealable and looked up) instead of one card each; 0: never.", "20"),
    ("ROOTMAIL_DIGEST_MAX", "digest_max", "30", p.int_between(2, 40), False,
     "Most mails one digest card carries (fewer when the card would grow past Teams' size limit).", "20"),
    ("ROOTMAIL_TEAMS_APP_RPS", "teams_app_rps", "50", p.int_between(0, 1000), False,
     "Posts per second this instance sends over all conversations (Teams allows an app 50 per second per tenant; "
     "give each of N instances 50/N); the per-conversation limits always apply. 0: no app-wide limit.", "25"),
    ("ROOTMAIL_URGENT_MENTIONS", "urgent_mentions", "owners", p.mention_targets, False,
     "Whom critical mail (password reset, MFA change, suspension, security notice, root e-mail change) @mentions in "
     "its channel, besides being posted as important: the team's owners, none, or per team a tag "
     "(`<team id>=<tag id>:<tag name>`, comma-separated; other teams get their owners when owners is listed too).",
     "owners,19:abc@thread.tacv2=MjQ...==:On call"),
    ("ROOTMAIL_METRICS", "metrics", "loopback", p.one_of("loopback", "on", "off"), False,
     "GET /metrics (Prometheus text): only to loopback clients, to anyone who reaches the port, or off.", "on"),
]
