"""AWS root mail sorted into kinds with a severity, and the code or link of each kind taken out of verified mail only."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.intake.aws_mail_rules import OTHER, RULES, SEVERITIES, Rule
from core.intake.classify import CODE, EXTRACTORS, LINK, Secret, classify, extract, is_reset_link, rule_for
from core.intake.parsed import ParsedMail
from core.intake.inspection import Inspector, secret_context
from core.intake.sender_trust import TrustPolicy
from crypto.box import AesGcmBox
from mail.mime import parse_message
from tests.paths import MAILS

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

# kind -> example subjects AWS (or its look-alikes) use; the README's classification table comes from here
EXAMPLES = {
    "email_update_code": ["Amazon Web Services - Verify your new email address", "Root email address change request"],
    "password_reset": ["Amazon Web Services Password Assistance", "Reset your root user password"],
    "signin_code": ["Your AWS sign-in one-time passcode", "AWS root sign-in verification code"],
    "verification_code": ["AWS Notification - Email Verification", "AWS Email Verification",
                          "Amazon Web Services Account Verification"],
    "mfa_change": ["AWS Notification - MFA device removed from your root user",
                   "A multi-factor authentication device was added"],
    "account_suspended": ["Your AWS account has been suspended"],
    "account_reinstated": ["Your AWS account has been reinstated"],
    "account_closed": ["Your AWS account has been closed", "AWS Account Closure Confirmation"],
    "security": ["AWS Security Notification: your access key is exposed", "Irregular activity in your AWS account",
                 "Your AWS root user password has been changed"],
    "abuse_report": ["Your EC2 Abuse Report [12345678901] [AWS ID 456789012345]"],
    "maintenance": ["[Action Required] AWS Health Event - EC2 Instance Retirement [AWS Account: 345678901234]",
                    "Scheduled maintenance for your Amazon RDS instance",
                    "[Retirement Notification] Amazon EC2 Instance scheduled for retirement.",
                    "Amazon EC2 Maintenance - Reboot Required"],
    "end_of_support": ["[Action Required] AWS Lambda end of support for Node.js 12",
                       "[\u8981\u5bfe\u5fdc] AWS Lambda \u306b\u304a\u3051\u308b Python 3.6 \u306e\u30b5\u30dd\u30fc\u30c8\u7d42\u4e86"],
    "health": ["Action Required - Your certificate renewal", "AWS Health Event - scheduled change to your Amazon VPC"],
    "suspicious_activity": ["Suspicious activity in your AWS account", "Unusual sign-in activity on your AWS account"],
    "mfa_recovery": ["Sign in using alternative factors of authentication", "Recover the MFA device of your root user"],
    "sns_subscription": ["AWS Notification - Subscription Confirmation"],
    "account_created": ["Welcome to Amazon Web Services", "Your AWS Account is Ready"],
    "support_case": ["AWS Support case 1234567890 \u2013 updated", "[Case 170012345600] Question about limits"],
    "billing": ["Amazon Web Services Billing Statement Available [Account: 123456789012]",
                "AWS Budgets: monthly-cap has exceeded your alert threshold", "Ihre Rechnung \u2013 M\u00e4rz 2024",
                "AWS \u8acb\u6c42\u66f8\u306e\u304a\u77e5\u3089\u305b"],
    "marketing": ["AWS re:Invent 2026 registration is open", "Join our webinar: serverless in practice"],
    "other": ["AWS Notification Message", "Hello", ""],
}


def test_every_kind_has_examples():
    assert set(EXAMPLES) == {rule.kind for rule in RULES} | {"other"}


@pytest.mark.parametrize("kind, subject", [(k, s) for k, subjects in EXAMPLES.items() for s in subjects])
def test_subjects_are_classified_as_their_kind(kind, subject):
    assert classify(subject, "").kind == kind


def test_every_rule_says_what_happened_and_what_to_do():
    kinds = [rule.kind for rule in RULES]
    assert len(kinds) == len(set(kinds))
    for rule in (*RULES, OTHER):
        assert rule.severity in SEVERITIES and rule.title and rule.summary and rule.action
        assert not rule.secret or rule.secret in EXTRACTORS


def test_a_stored_kind_no_rule_names_reads_as_other():
    assert rule_for("password_reset").title == "Root password reset"
    assert rule_for("retired-kind") is OTHER


def test_rules_are_data_a_new_row_extends():
    exam = Rule("certification", "Certification", "low", "An exam booking.", "Nothing to do.",
                subject=(r"certification exam",), body=(r"your exam appointment",))
    rules = (exam, *RULES)
    assert classify("AWS Certification exam booked", "", rules) is exam
    assert classify("Booking", "Hello,\nyour exam appointment is confirmed", rules) is exam
    assert classify("Booking", "Hello", rules) is OTHER


@pytest.mark.parametrize("text, code", [
    ("Verification code: 482913\n", "482913"),
    ("Your AWS verification code is 482 913.", "482913"),
    ("Enter this code on the sign-in page:\n\n   482913\n\nIt expires soon.", "482913"),
    ("code=482913", "482913"),
])
def test_verification_digits_are_found_in_the_ways_aws_writes_them(text, code):
    assert extract(rule_for("verification_code"), "AWS Email Verification", text) == Secret(CODE, code)


@pytest.mark.parametrize("text", [
    "Your invoice 4829130 is ready.", "Total: $482,913.00", "Call 1-800-482-9130", "no code here",
])
def test_numbers_that_are_not_codes_are_left_alone(text):
    assert extract(rule_for("verification_code"), "AWS Email Verification", text) is None


@pytest.mark.parametrize("text, code", [
    ("enter the following code in the AWS Management Console:\n\nA7K2QZ\n\nThe code expires", "A7K2QZ"),
    ("Your code is QWERTZ.", "QWERTZ"),
    ("The update code:\n\n  ZXCVBN\n", "ZXCVBN"),
    ("Checksum SHA256\n\nYour code:\n\n9Z8Y7X\n", "9Z8Y7X"),
])
def test_primary_email_update_codes_are_six_characters(text, code):
    assert extract(rule_for("email_update_code"), "", text) == Secret(CODE, code)


def test_an_all_letter_line_far_from_any_code_is_not_taken():
    assert extract(rule_for("email_update_code"), "", "HELLO\n\nWelcome to AWS.\n\nTHANKS\n") is None


@pytest.mark.parametrize("url, ok", [
    ("https://signin.aws.amazon.com/resetpassword?type=RootUser&token=abc", True),
    ("https://us-east-1.signin.aws/resetpassword?token=abc", True),
    ("http://signin.aws.amazon.com/resetpassword?token=abc", False),
    ("https://signin.aws.amazon.com.evil.example/resetpassword?token=abc", False),
    ("https://evil.example/signin.aws.amazon.com/resetpassword", False),
    ("https://signin.aws.amazon.com/console", False),
    ("https://[::1", False),
])
def test_only_aws_sign_in_reset_links_are_taken(url, ok):
    assert is_reset_link(url) is ok
    found = extract(rule_for("password_reset"), "", f"Reset your password:\n{url}\n")
    assert (found == Secret(LINK, url)) is ok


def test_a_reset_link_only_in_an_html_href_is_found():
    mail = parse_message((MAILS / "trust" / "html_only_reset.eml").read_bytes())
    assert "https://" not in mail.text
    secret = extract(rule_for("password_reset"), mail.subject, mail.text, mail.links)
    assert secret == Secret(LINK, "https://signin.aws.amazon.com/resetpassword?type=RootUser&token=Ht8Mn2Bv5Cx7Zl9Kj4Hg6Fd1Sa3Qw")


@pytest.mark.parametrize("name, kind, secret", [
    ("aws_verification_code.eml", "verification_code", "482913"),
    ("aws_email_update_code.eml", "email_update_code", "A7K2QZ"),
    ("aws_password_reset.eml", "password_reset", "https://signin.aws.amazon.com/resetpassword?type=RootUser&"
     "token=Vx3kQ9mZ2pLr8Tn4Ws6Yb1Cd5Fg7Hj0KlMnOpQrStUvWxYz-_AbCdEf123456&email=aws%2Bsandbox-42%40rootmail.example"),
    ("aws_billing_invoice.eml", "billing", None), ("aws_health_event.eml", "maintenance", None),
    ("aws_abuse_report.eml", "abuse_report", None), ("html_only.eml", "account_created", None),
    ("quoted_printable.eml", "support_case", None), ("base64_plain.eml", "billing", None),
    ("iso_2022_jp.eml", "billing", None), ("malformed_mime.eml", "other", None),
    ("trust/base64_cp1252_code.eml", "verification_code", "558812"),
    ("trust/nested_update_code.eml", "email_update_code", "Z9K4QX"),
    ("trust/header_injection_verified.eml", "verification_code", "731904"),
    ("trust/exchange_online_verified.eml", "verification_code", "731904"),
])
def test_corpus_mail_is_classified_and_its_secret_found(name, kind, secret):
    mail = parse_message((MAILS / name).read_bytes())
    inspection = Inspector(TrustPolicy(("mx.rootmail.example", "exchange-online"))).inspect(mail)
    assert inspection.rule.kind == kind
    assert (inspection.secret.value if inspection.secret else None) == secret


@pytest.mark.parametrize("name", sorted(p.name for p in (MAILS / "trust").glob("*.eml")))
def test_nothing_is_taken_out_of_mail_that_does_not_verify(name):
    mail = parse_message((MAILS / "trust" / name).read_bytes())
    inspection = Inspector(TrustPolicy(("mx.rootmail.example", "exchange-online"))).inspect(mail)
    if not inspection.verdict.verified:
        assert inspection.secret is None
    untrusted = Inspector(TrustPolicy(("mx.elsewhere.example",))).inspect(mail)
    assert untrusted.secret is None and not untrusted.verdict.verified


def test_a_verified_secret_is_sealed_per_mail_with_its_reveal_window():
    box = AesGcmBox([bytes(32)])
    inspector = Inspector(TrustPolicy(("mx.rootmail.example",)), box, timedelta(minutes=15))
    inspection = inspector.inspect(parse_message((MAILS / "aws_verification_code.eml").read_bytes()))

    sealed = inspector.seal(inspection, secret_context("k1"), NOW)

    assert sealed.kind == CODE and sealed.expires_at == NOW + timedelta(minutes=15)
    assert "482913" not in sealed.value
    assert box.open(sealed.value, secret_context("k1")) == "482913"
    assert Inspector(inspector.trust).seal(inspection, secret_context("k1"), NOW) is None  # no box: not kept


def test_subject_and_text_of_any_size_are_classified_quickly():
    mail = ParsedMail("<m@x>", "AWS <no-reply@signin.aws>", "Verification code " * 10_000, None,
                      "code " * 200_000 + "482913", 0)
    inspection = Inspector().inspect(mail)
    assert inspection.rule.kind == "verification_code" and not inspection.verdict.verified
