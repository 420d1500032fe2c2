"""Only real AWS mail verifies: the boundary's own Authentication-Results, DMARC and aligned DKIM, an AWS From."""
from __future__ import annotations


import pytest

from core.intake.lookalike import lookalike_of
from core.intake.sender_trust import (DEFAULT_AWS_DOMAINS, EXCHANGE_ONLINE, TrustPolicy, parse_authentication_results,
                               verify_sender)
from mail.mime import parse_message
from tests.paths import MAILS

BOUNDARY = "mx.rootmail.example"
POLICY = TrustPolicy((BOUNDARY, EXCHANGE_ONLINE))
SIGNIN = "Amazon Web Services <no-reply@signin.aws>"
PASS = f"{BOUNDARY}; dkim=pass header.d=signin.aws; dmarc=pass header.from=signin.aws"

# file in tests/mails/trust -> (verified?, words the reason must contain)
TRUST_CORPUS = {
    "spoofed_from_no_results.eml": (False, "no Authentication-Results header from your mail boundary"),
    "forged_results_below.eml": (False, "DMARC did not pass (dmarc=fail)"),
    "forged_results_foreign_id.eml": (False, "written by mx.amazon.com, not by your mail boundary"),
    "dkim_fail.eml": (False, "DMARC did not pass"),
    "dkim_unaligned_ses.eml": (False, "DKIM passed only for amazonses.com, not for amazon.com"),
    "lookalike_domain.eml": (False, "amazon-aws-security.com imitates amazon.com"),
    "homoglyph_punycode.eml": (False, "\u0430mazon.com (xn--mazon-3ve.com) imitates amazon.com"),
    "homoglyph_utf8.eml": (False, "\u0430mazon.com (xn--mazon-3ve.com) imitates amazon.com"),
    "display_name_trick.eml": (False, "display name pretends to be signin.aws, but the mail came from evil.example"),
    "dmarc_other_domain.eml": (False, "DMARC passed for evil.example, but the From address is on signin.aws"),
    "two_from_headers.eml": (False, "2 From headers"),
    "two_from_addresses.eml": (False, "several addresses"),
    "exchange_online_verified.eml": (True, "checked by Exchange Online"),
    "subdomain_relaxed_alignment.eml": (True, "passed for aws.amazon.com"),
    "header_injection_verified.eml": (True, "checked by mx.rootmail.example"),
    "html_only_reset.eml": (True, "DKIM and DMARC passed for signin.aws"),
    "base64_cp1252_code.eml": (True, "DKIM and DMARC passed"),
    "nested_update_code.eml": (True, "DKIM and DMARC passed"),
}
AWS_CORPUS = ["aws_abuse_report.eml", "aws_billing_invoice.eml", "aws_email_update_code.eml", "aws_health_event.eml",
              "aws_password_reset.eml", "aws_verification_code.eml"]


def verdict(headers: dict[str, list[str]], sender: str = SIGNIN, policy: TrustPolicy = POLICY):
    return verify_sender({"from": [sender], **headers}, sender, policy)


def test_every_trust_corpus_file_has_an_expectation():
    assert sorted(p.name for p in (MAILS / "trust").glob("*.eml")) == sorted(TRUST_CORPUS)


@pytest.mark.parametrize("name", sorted(TRUST_CORPUS))
def test_trust_corpus_mail_gets_the_verdict_and_reason_an_admin_needs(name):
    verified, reason = TRUST_CORPUS[name]
    mail = parse_message((MAILS / "trust" / name).read_bytes())

    result = verify_sender(mail.headers, mail.sender, POLICY)

    assert (result.verified, reason in result.reason) == (verified, True), result.reason


@pytest.mark.parametrize("name", AWS_CORPUS)
def test_real_aws_mail_verifies_only_when_its_boundary_is_trusted(name):
    mail = parse_message((MAILS / name).read_bytes())

    assert verify_sender(mail.headers, mail.sender, POLICY).verified
    assert not verify_sender(mail.headers, mail.sender, TrustPolicy(("mx.other.example",))).verified
    assert not verify_sender(mail.headers, mail.sender, TrustPolicy(())).verified


def test_only_the_topmost_header_counts_whatever_lies_below():
    forged = PASS
    boundary_fail = f"{BOUNDARY}; dkim=none; dmarc=fail header.from=signin.aws"
    assert not verdict({"authentication-results": [boundary_fail, forged]}).verified
    assert verdict({"authentication-results": [PASS, boundary_fail]}).verified
    other_hop = "relay.internal.example; dkim=pass header.d=signin.aws; dmarc=pass header.from=signin.aws"
    assert not verdict({"authentication-results": [other_hop, PASS]}).verified


def test_an_exchange_online_header_is_trusted_only_when_configured():
    exo = ("spf=pass (sender IP is 54.240.8.1) smtp.mailfrom=amazonses.com; dkim=pass (signature was verified) "
           "header.d=signin.aws;dmarc=pass action=none header.from=signin.aws;compauth=pass reason=100")
    assert verdict({"authentication-results": [exo]}).verified
    assert not verdict({"authentication-results": [exo]}, policy=TrustPolicy((BOUNDARY,))).verified
    assert not verdict({"authentication-results": [PASS]}, policy=TrustPolicy((EXCHANGE_ONLINE,))).verified


@pytest.mark.parametrize("results, why", [
    (f"{BOUNDARY}; dkim=pass header.d=signin.aws", "no DMARC result"),
    (f"{BOUNDARY}; dkim=pass header.d=signin.aws; dmarc=bestguesspass header.from=signin.aws", "dmarc=bestguesspass"),
    (f"{BOUNDARY}; dkim=fail header.d=signin.aws; dmarc=pass header.from=signin.aws", "No DKIM signature passed"),
    (f"{BOUNDARY}; dkim=pass header.d=amazon.com; dmarc=pass header.from=signin.aws", "only for amazon.com"),
    (f"{BOUNDARY}; dkim=pass header.d=evil.example; dmarc=pass header.from=signin.aws", "only for evil.example"),
    (f"{BOUNDARY}; none", "no DMARC result"),
])
def test_a_missing_or_failing_or_unaligned_result_is_unverified(results, why):
    result = verdict({"authentication-results": [results]})
    assert not result.verified and why in result.reason


def test_dkim_identity_in_header_i_and_subdomains_of_the_signing_domain_align():
    signed_i = f"{BOUNDARY}; dkim=pass header.i=@signin.aws; dmarc=pass header.from=signin.aws"
    assert verdict({"authentication-results": [signed_i]}).verified
    sub = f"{BOUNDARY}; dkim=pass header.d=email.amazon.com; dmarc=pass header.from=aws.amazon.com"
    assert verdict({"authentication-results": [sub]}, "AWS <no-reply@aws.amazon.com>").verified


def test_the_aws_domains_are_configuration():
    ses_from = "AWS <no-reply@amazonses.com>"
    results = f"{BOUNDARY}; dkim=pass header.d=amazonses.com; dmarc=pass header.from=amazonses.com"
    assert verdict({"authentication-results": [results]}, ses_from).verified
    without_ses = TrustPolicy((BOUNDARY,), tuple(d for d in DEFAULT_AWS_DOMAINS if d != "amazonses.com"))
    refused = verdict({"authentication-results": [results]}, ses_from, without_ses)
    # an AWS domain left out of the setting is refused as unconfigured, never called an imitation
    assert not refused.verified and "is not in ROOTMAIL_AWS_SENDER_DOMAINS" in refused.reason
    assert "imitates" not in refused.reason


def test_a_domain_that_merely_ends_like_an_aws_domain_is_not_one():
    for sender in ("AWS <no-reply@notamazon.com>", "AWS <no-reply@amazon.com.evil.example>"):
        results = f"{BOUNDARY}; dkim=pass header.d=x; dmarc=pass header.from={sender.split('@')[1][:-1]}"
        assert not verdict({"authentication-results": [results]}, sender).verified, sender


def test_no_from_address_or_no_boundary_configured_is_said_plainly():
    assert "no readable From address" in verdict({"authentication-results": [PASS]}, "Amazon Web Services").reason
    assert "No trusted mail boundary is configured" in verdict(
        {"authentication-results": [PASS]}, policy=TrustPolicy(())).reason


def test_authentication_results_are_parsed_leniently():
    authserv, results = parse_authentication_results(
        'mx.example.com 1; dkim=pass (good (nested) signature) header.d=Signin.AWS header.s="s1"; '
        'spf=pass smtp.mailfrom=x@y; ; junk; dmarc/1=pass header.from=signin.aws')
    assert authserv == "mx.example.com"
    assert [(r.method, r.result) for r in results] == [("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
    assert results[0].props == {"header.d": "signin.aws", "header.s": "s1"}
    assert parse_authentication_results("spf=pass smtp.mailfrom=x; dkim=pass header.d=a.example")[0] == ""
    assert parse_authentication_results("")[1] == []


@pytest.mark.parametrize("domain, imitates", [
    ("\u0430mazon.com", "amazon.com"), ("xn--mazon-3ve.com", "amazon.com"), ("amaz0n.com", "amazon.com"),
    ("arnazon.com", "amazon.com"), ("amazon-security.com", "amazon.com"), ("aws-billing.net", "amazonaws.com"),
    ("s\u0456gnin.aws", "signin.aws"), ("amazonaws.co", "amazonaws.com"), ("amazon.com.evil.io", "amazon.com"),
    ("example.com", None), ("evil.example", None), ("contoso.org", None),
])
def test_look_alike_domains_are_named_with_what_they_imitate(domain, imitates):
    assert lookalike_of(domain, DEFAULT_AWS_DOMAINS) == imitates
