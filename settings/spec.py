"""Every RootMail setting, in one table: variable, attribute, default, parser, secret, meaning, example.

The README's settings table is generated from it (scripts/settings_table.py; a test keeps them equal).
"""
from __future__ import annotations

from typing import Any, Callable

from core.intake.sender_trust import DEFAULT_AWS_DOMAINS
from settings import parse as p

# (environment variable, attribute, default, parser, secret, description, example)
SPEC: list[tuple[str, str, str, Callable[[str], Any], bool, str, str]] = [
    ("MicrosoftAppId", "app_id", "", p.text, False,
     "Azure Bot app registration id. Empty: no authentication, loopback only.", "00000000-0000-0000-0000-000000000000"),
    ("MicrosoftAppPassword", "app_password", "", p.text, True, "Client secret of the app registration.", "(secret)"),
    ("MicrosoftAppType", "app_type", "MultiTenant", p.one_of("MultiTenant", "SingleTenant", "UserAssignedMSI"), False,
     "Bot identity type.", "SingleTenant"),
    ("MicrosoftAppTenantId", "app_tenant_id", "", p.text, False,
     "Entra tenant id (SingleTenant, UserAssignedMSI).", "11111111-2222-3333-4444-555555555555"),
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
    ("ROOTMAIL_GRAPH_TENANT_ID", "graph_tenant_id", "", p.text, False,
     "Entra tenant id of the Exchange Online mailboxes (with a client secret or certificate).",
     "11111111-2222-3333-4444-555555555555"),
    ("ROOTMAIL_GRAPH_CLIENT_ID", "graph_client_id", "", p.text, False,
     "App registration (client) id RootMail reads mail as; with neither secret nor certificate: the managed "
     "identity's client id, or empty for DefaultAzureCredential's choice.", "22222222-3333-4444-5555-666666666666"),
    ("ROOTMAIL_GRAPH_CLIENT_SECRET", "graph_client_secret", "", p.text, True,
     "Client secret of that app registration (or use a certificate or a managed identity).", "(secret)"),
    ("ROOTMAIL_GRAPH_CERTIFICATE", "graph_certificate", "", p.optional_path, False,
     "PEM or PKCS#12 file with the app registration's certificate and private key, instead of a secret.",
     "/etc/rootmail/graph.pem"),
    ("ROOTMAIL_GRAPH_MAILBOXES", "graph_mailboxes", "", p.domains, False,
     "Comma-separated shared mailboxes to read; empty: every mailbox in the pool file.",
     "aws-root-01@example.com,aws-root@example.com"),
    ("ROOTMAIL_GRAPH_BASE_URL", "graph_base_url", "https://graph.microsoft.com/v1.0", p.url, False,
     "Microsoft Graph endpoint (a national cloud's, or a local fake in tests).",
     "https://graph.microsoft.us/v1.0"),
    ("ROOTMAIL_GRAPH_PUBLIC_URL", "graph_public_url", "", p.url, False,
     "Public https base URL of this app; Graph posts to /api/graph/notifications and /api/graph/lifecycle "
     "under it. Required with ROOTMAIL_MAIL_SOURCE=graph.", "https://rootmail.example.com"),
    ("ROOTMAIL_GRAPH_MOVE_TO", "graph_move_to", "RootMail", p.text, False,
     "Mail folder (top level of each mailbox, created if missing) forwarded mail is moved to after it is "
     "marked read; empty: mark read and leave it in the Inbox.", "Forwarded by RootMail"),
    ("ROOTMAIL_GRAPH_DELTA_MINUTES", "graph_delta_minutes", "15", p.int_between(1, 1440), False,
     "With change notifications: how often a delta query catches up whatever notifications missed.", "5"),
    ("ROOTMAIL_GRAPH_POLL_SECONDS", "graph_poll_seconds", "60", p.int_between(5, 3600), False,
     "With ROOTMAIL_MAIL_SOURCE=graph-poll: seconds between delta queries.", "30"),
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
     "Accepted `aud` of automation API tokens: the API app registration's client id and/or Application ID URI, "
     "comma-separated. Empty: the API (/api/v1) answers 503.", "api://rootmail"),
    ("ROOTMAIL_API_TENANT_ID", "api_tenant_id", "", p.text, False,
     "Entra tenant whose tokens the API accepts; empty: MicrosoftAppTenantId.", "11111111-2222-3333-4444-555555555555"),
    ("ROOTMAIL_API_METADATA_URL", "api_metadata_url", "", p.text, False,
     "OpenID metadata (issuer, jwks_uri) for API tokens; empty: Entra ID's v2.0 metadata of the tenant.",
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
    ("ROOTMAIL_GROUPS_FILE", "groups_file", "", p.optional_path, False,
     "JSON file mapping group object ids to member object ids, read at start, for the two group settings; it "
     "wins over Microsoft Graph, and without a Graph mail source it is required for them.",
     "/etc/rootmail/groups.json"),
    ("ROOTMAIL_AUTHSERV_IDS", "authserv_ids", "rootmail.localhost", p.domains, False,
     "authserv-id(s) your receiving mail boundary writes in Authentication-Results; only the topmost header, and "
     "only if it carries one of these, is trusted. `exchange-online` trusts Exchange Online's header, which has "
     "no id. The default matches the demo mail only.", "mx.example.com"),
    ("ROOTMAIL_AWS_SENDER_DOMAINS", "aws_sender_domains", ",".join(DEFAULT_AWS_DOMAINS), p.domains, False,
     "Domains (and their subdomains) AWS sends root mail from; mail from anywhere else is quarantined.",
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
