"""Classification reads sender, subject and body: AWS gives some flows a sender of their own, some subjects say
nothing, and a support case whose text says the account is compromised is as urgent as a compromise notice."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.intake.account_ids import account_id_in
from core.intake.classify import LINK, Secret, classify, extract, rule_for, severity
from core.intake.inspection import Inspector
from core.intake.sender_trust import TrustPolicy
from crypto.box import AesGcmBox
from mail.mime import parse_message
from tests.paths import MAILS

REAL = MAILS / "real" / "genuine"


def test_the_mfa_recovery_mail_is_told_from_the_sign_up_code_by_its_sender():
    """Both are titled 'AWS Email Verification' (re:Post reset-root-user-mfa; react-email's recreation)."""
    recovery = classify("AWS Email Verification", "Verify your email address",
                        sender="Amazon Web Services <recover-mfa-no-reply@verify.signin.aws>")
    sign_up = classify("AWS Email Verification", "Verify your email address", sender="AWS <no-reply@signup.aws>")
    assert (recovery.kind, recovery.severity, recovery.secret) == ("mfa_recovery", "critical", "verify-link")
    assert sign_up.kind == "verification_code"


def test_the_mfa_recovery_link_is_sealed_only_on_aws_sign_in_hosts():
    rule = rule_for("mfa_recovery")
    url = "https://signin.aws.amazon.com/mfa/recovery/verify?token=Vb7Kq2Lw9Xz4Mn6Pr1Ts8Yc3Hd5Jf0GaEm"
    assert extract(rule, "", "Verify your email address", (url,)) == Secret(LINK, url)
    assert extract(rule, "", "Verify your email address", ("https://signin.aws.evil.example/verify?t=1",)) is None
    assert extract(rule, "", "Verify your email address", ("http://signin.aws.amazon.com/verify?t=1",)) is None


@pytest.mark.parametrize("subject, text, kind", [
    ("AWS Notification", "As per your request, the multi-factor authentication (MFA) has been deactivated for the "
                         "AWS account associated with this email address.", "mfa_change"),
    ("Important news", "EC2 has detected degradation of the underlying hardware hosting your Amazon EC2 instance",
     "maintenance"),
    ("Notice", "One or more of your Amazon EC2 instances have been scheduled for a reboot", "maintenance"),
    ("Engine versions", "This version reaches its end of life on 2026-06-30.", "end_of_support"),
    ("Hello", "Your AWS Account may have been accessed by a third party without permission.", "suspicious_activity"),
])
def test_mail_whose_subject_says_nothing_is_filed_by_its_body(subject, text, kind):
    assert classify(subject, text).kind == kind


@pytest.mark.parametrize("sender, kind", [
    ("Amazon Web Services <password-reset-no-reply@verify.signin.aws>", "password_reset"),
    ("AWS Trust & Safety <ec2-abuse@amazon.com>", "abuse_report"),
    ("AWS Trust and Safety <trustandsafety@support.aws.com>", "abuse_report"),
])
def test_a_sender_of_its_own_files_the_mail_whatever_the_subject(sender, kind):
    assert classify("RE: your case", "", sender=sender).kind == kind


def test_a_look_alike_of_those_senders_is_only_a_local_part_and_decides_nothing_about_trust():
    """Classification never verifies: an unverified mail is quarantined whatever kind it claims to be."""
    rule = classify("x", "", sender="Amazon Web Services <recover-mfa-no-reply@signin-aws.example>")
    assert rule.kind == "mfa_recovery"  # it claims this; core.intake.sender_trust refuses it


@pytest.mark.parametrize("text, level", [
    ("Your AWS Account is compromised! Please review the following notice", "critical"),
    ("We are following up with you as your AWS Account may still be compromised.", "critical"),
    ("If you do not pay, your AWS account will be suspended.", "critical"),
    ("Your AWS account may still be at risk of being accessed by a third party without permission.", "critical"),
    ("A new correspondence was added to case 177821827800850", "normal"),
    ("it's possible that your environment has been compromised by an external attacker", "normal"),
])
def test_a_support_case_takes_the_severity_its_text_names(text, level):
    rule = classify("Amazon Web Services: New Support case: 5244329601", text)
    assert rule.kind == "support_case" and severity(rule, text) == level


def test_escalation_never_lowers_a_severity():
    rule = rule_for("password_reset")
    assert severity(rule, "your AWS account will be suspended") == "critical"
    assert severity(rule_for("marketing"), "") == "low"


@pytest.mark.parametrize("subject, text, account", [
    ("Amazon Web Services Billing Statement Available [Account: 225989371926]", "", "225989371926"),
    ("", "Your AWS account 881179186002 has exceeded 85% of the usage limit", "881179186002"),
    ("", "We have important news about your account (AWS Account ID: 111122223333). EC2 has", "111122223333"),
    ("", "Subject: Your AWS account 622676721278\n      is compromised", "622676721278"),
    ("", "arn:aws:sns:us-east-2:111122223333:Congratulations-call-828-316-2115", "111122223333"),
    ("Your EC2 Abuse Report [12345678901] [AWS ID 456789012345]", "", "456789012345"),
    ("", "Account: 1234-5678-9012", "123456789012"),
    ("", "AWS Account ID: 123456789", None),
    ("", "Case ID: 177821827800850, invoice 202403150112, call +1 206 266 1000", None),
    ("", "for the account ending in ****1926", None),
])
def test_the_account_id_a_mail_names_is_read_out_and_other_numbers_are_not(subject, text, account):
    assert account_id_in(subject, text) == account


def test_only_verified_mail_has_its_account_id_read_out():
    box = AesGcmBox([bytes(range(32))])
    billing = parse_message((REAL / "billing-statement-html-2026.eml").read_bytes())
    assert Inspector(TrustPolicy(("mx.rootmail.example",)), box).inspect(billing).account_id == "225989371926"
    assert Inspector(TrustPolicy(("another.boundary",)), box).inspect(billing).account_id == ""


def test_real_samples_keep_their_secrets_in_html_only_or_behind_a_sender():
    now = datetime.now(timezone.utc)
    inspector = Inspector(TrustPolicy(("mx.rootmail.example",)), AesGcmBox([bytes(range(32))]), timedelta(minutes=15))
    reset = inspector.inspect(parse_message((REAL / "password-reset-html-only.eml").read_bytes()))
    recovery = inspector.inspect(parse_message((REAL / "mfa-recovery-email-verification.eml").read_bytes()))
    assert reset.secret.kind == LINK and "resetpassword?type=RootUser&token=" in reset.secret.value
    assert recovery.rule.kind == "mfa_recovery" and recovery.secret.value.startswith("https://signin.aws.amazon.com/")
    assert inspector.seal(recovery, "ctx", now) is not None


def test_the_readme_table_lists_every_kind_with_an_example_that_files_as_that_kind():
    from core.intake.aws_mail_rules import OTHER, RULES
    from tests.paths import ROOT

    section = (ROOT / "README.md").read_text().split("## Root mail protection", 1)[1].split("\n\n**The corpus.**")[0]
    rows = {cells[1].strip(): cells[3].strip() for line in section.splitlines() if line.startswith("| ")
            for cells in [line.replace("\\|", "\u2502").split("|")] if len(cells) > 4}
    for rule in (*RULES, OTHER):
        title = "Other" if rule is OTHER else rule.title
        assert title in rows, f"README's table lacks {title}"
        for example in rows[title].split(" \u00b7 "):
            if example.startswith("("):
                continue
            subject, _, sender = example.replace("\u2502", "|").partition(" (from ")
            assert classify(subject, "", sender=sender.rstrip(")")).kind == rule.kind, example
