"""Mail sources and MIME parsing: raw mail in, recorded through core.intake.ingest.ingest. Imports core.

Every source passes the faithful parse (`mail.mime.parse_message`, headers included) and the app's
core.intake.inspection.Inspector to `ingest`. Ingest classifies the mail, verifies its sender from the trusted
Authentication-Results header, seals the code or reset link of verified mail, and redacts the subject and preview
it stores, so nothing is kept in clear. A source that redacts first leaves Reveal nothing to reveal; one that passes
no inspector gets every mail quarantined as unverified.
"""
