"""Every mail in tests/mails parses into the subject, sender and text a reader of the channel would expect."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.intake.ingest import fallback_message_id
from mail.mime import parse_message
from tests.paths import MAILS

AWS_SIGNIN = "Amazon Web Services <no-reply@signin.aws>"
AWS_BILLING = "Amazon Web Services <no-reply-aws@amazon.com>"

# file -> (subject, sender, text that must be there, text that must not)
EXPECTED = {
    "aws_verification_code.eml": (
        "AWS Notification - Email Verification", AWS_SIGNIN,
        ["Verification code: 482913", "expires 10 minutes"], ["<", "=20", "=\n"]),
    "aws_password_reset.eml": (
        "Amazon Web Services Password Assistance", AWS_SIGNIN,
        ["https://signin.aws.amazon.com/resetpassword?type=RootUser&token=Vx3kQ9mZ2pLr8Tn4", "210987654321"],
        ["<a href"]),
    "aws_billing_invoice.eml": (
        "Amazon Web Services Billing Statement Available [Account: 123456789012]", AWS_BILLING,
        ["Total: $1,234.56", "Invoice ID: 2024031501", "Account ID: 123456789012"], ["%PDF", "JVBER"]),
    "aws_health_event.eml": (
        "[Action Required] AWS Health Event - EC2 Instance Retirement [AWS Account: 345678901234]",
        "AWS Health <no-reply-aws@amazon.com>",
        ["hosting your Amazon EC2 instance i-0a1b2c3d4e5f67890 in the us-east-1 region",
         "https://health.aws.amazon.com/health/home#/account/dashboard/open-issues?eventID="], ["ope\nn-issues"]),
    "aws_abuse_report.eml": (
        "Your EC2 Abuse Report [12345678901] [AWS ID 456789012345]", "AWS Trust & Safety <ec2-abuse@amazon.com>",
        ["AWS ID: 456789012345", "scanning remote hosts"], ["ORIGINAL REPORT BODY"]),
    "aws_email_update_code.eml": (
        "Amazon Web Services - Verify your new email address", AWS_SIGNIN, ["\n\nA7K2QZ\n\n"], []),
    "html_only.eml": (
        "Welcome to Amazon Web Services", AWS_BILLING,
        ["Welcome to AWS", "your account 678901234567 is ready", "Free tier credits: €100 & $100",
         "Region eu-central-1\nPlan Basic", "- Launch an instance\n- Create a bucket", "Sign in to the Console"],
        ["Preheader", "tracking", "color", "<", "&amp;", "&nbsp;", "comment"]),
    "quoted_printable.eml": (
        "AWS Support case 1234567890 – updated", "AWS Support <no-reply-aws@amazon.com>",
        ["Hello Renée,", "with a soft line break somewhere in the middle.", "Café – naïve – über"], ["=\n", "=C3"]),
    "base64_plain.eml": (
        "AWS Budgets: monthly-cap has exceeded your alert threshold", "AWS Budgets <no-reply@budgets.amazonaws.com>",
        ["your budget “monthly-cap” for account 789012345678 has exceeded 80% of $500.00"], []),
    "nested_multipart_attachment.eml": (
        "AWS Cost and Usage Report ready", AWS_BILLING, ["(nested plain part)"],
        ["ATTACHMENT", "nested html part", "PNG"]),
    "windows_1252.eml": (
        "Ihre Rechnung – März 2024", "AWS Rechnungsstelle <no-reply-aws@amazon.com>",
        ["„Ihre Rechnung“ für März 2024 beträgt 1.234,56 € – fällig am 15.04.2024."], ["\ufffd"]),
    "iso_2022_jp.eml": (
        "AWS 請求書のお知らせ", "アマゾン ウェブ サービス <no-reply-aws@amazon.co.jp>", ["請求額は $98.76 です。"], ["\x1b"]),
    "unknown_charset.eml": (
        "Unknown charset subject", AWS_BILLING, ["Café latin-1 bytes under an unknown charset."], []),
    "missing_message_id.eml": (
        "AWS Notification without a Message-ID", "no-reply-aws@amazon.com", ["RootMail still has to dedupe"], []),
    "broken_encoded_word.eml": (
        "Your AWS accountis ready =?utf-8?Q?unterminated", AWS_SIGNIN,
        ["Encoded words in the headers are broken on purpose."], []),
    "header_injection.eml": (
        "Urgent X-Injected: yes fake body", "Amazon Web Services Bcc: victim@example.com <no-reply@signin.aws>",
        ["try to smuggle new lines"], []),
    "malformed_mime.eml": ("AWS Notification Message", "AWS Notifications <no-reply@sns.amazonaws.com>", [], ["junk"]),
    "utf8_headers.eml": (
        "Factura de AWS – marzo", "Amazon Web Services Japón <no-reply-aws@amazon.com>",
        ["Su factura de marzo está disponible: US$ 45,67."], []),
}


def test_every_corpus_file_has_expectations():
    assert sorted(p.name for p in MAILS.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_mail_parses_to_what_a_reader_expects(name):
    raw = (MAILS / name).read_bytes()
    subject, sender, present, absent = EXPECTED[name]

    mail = parse_message(raw)

    assert (mail.subject, mail.sender) == (subject, sender)
    assert mail.size == len(raw)
    for fragment in present:
        assert fragment in mail.text
    for fragment in absent:
        assert fragment not in mail.text
    for value in [mail.subject, mail.sender, mail.message_id, *sum(mail.headers.values(), [])]:
        assert "\n" not in value and "\r" not in value


def test_aws_mail_keeps_the_headers_sender_verification_needs():
    mail = parse_message((MAILS / "aws_verification_code.eml").read_bytes())

    assert mail.message_id == "<0100018e1c2d3e4f-5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d-000000@email.amazonses.com>"
    assert mail.date == datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc)
    assert mail.headers["from"] == [AWS_SIGNIN]
    assert mail.headers["to"] == ["aws+prod-payments-7f3k@rootmail.example"]
    assert mail.headers["delivered-to"] == mail.headers["x-original-to"] == mail.headers["to"]
    assert mail.headers["dkim-signature"] == ["s=224i4yxa5dv7c2xz3womw6peuasteono; d=amazonses.com"]
    assert "dmarc=pass" in mail.headers["authentication-results"][0]
    assert "header.from=signin.aws" in mail.headers["authentication-results"][0]
    assert mail.headers["received-spf"][0].startswith("pass ")
    assert mail.headers["return-path"][0].endswith("@email.amazonses.com>")
    assert "feedback-id" not in mail.headers
    assert mail.defects == ()


def test_date_with_offset_becomes_utc():
    mail = parse_message((MAILS / "aws_billing_invoice.eml").read_bytes())

    assert mail.date == datetime(2024, 3, 2, 11, 4, 5, tzinfo=timezone.utc)


def test_missing_message_id_falls_back_to_a_stable_id_from_the_bytes():
    raw = (MAILS / "missing_message_id.eml").read_bytes()

    mail = parse_message(raw)

    assert mail.message_id == fallback_message_id(raw) == parse_message(raw).message_id
    assert "missing Message-ID" in mail.defects
    assert mail.date is None


def test_header_injection_cannot_add_lines_or_change_the_sender_address():
    mail = parse_message((MAILS / "header_injection.eml").read_bytes())

    assert mail.sender.endswith("<no-reply@signin.aws>")
    assert mail.headers["to"] == ["aws root <aws+sandbox-42@rootmail.example>"]
    assert "\n" not in mail.message_id and "\r" not in mail.message_id
    assert "x-injected" not in mail.headers and "bcc" not in mail.headers


def test_broken_headers_are_reported_as_defects():
    assert "unreadable Date header" in parse_message((MAILS / "broken_encoded_word.eml").read_bytes()).defects
    assert "unreadable from header" in parse_message((MAILS / "header_injection.eml").read_bytes()).defects
    assert "unknown charset 'x-rootmail-unknown'" in parse_message((MAILS / "unknown_charset.eml").read_bytes()).defects
    malformed = parse_message((MAILS / "malformed_mime.eml").read_bytes()).defects
    assert "CloseBoundaryNotFoundDefect" in malformed and "InvalidBase64LengthDefect" in malformed
