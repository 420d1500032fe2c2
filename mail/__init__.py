"""Mail sources and MIME parsing: raw mail in, redacted core.inbound.ParsedMail recorded through core.inbound.ingest.

Redaction happens at the source edge, just before ingest: `mail.mime.parse_message` returns the faithful text,
and every source passes `core.redact.redact_mail(parsed)` to `ingest`, so the stored subject and preview never
hold a one-time code or a link in clear.
"""
