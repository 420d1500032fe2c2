"""Every domain AWS sends from is known, in one table with its source: none is ever called a look-alike, the default
ROOTMAIL_AWS_SENDER_DOMAINS comes from it, and imitations of any of them are still named."""
from __future__ import annotations

import pytest

from core.intake.aws_domains import AWS_DOMAINS, DEFAULT_SENDER_DOMAINS, owned_by_aws
from core.intake.lookalike import lookalike_of
from core.intake.sender_trust import DEFAULT_AWS_DOMAINS, TrustPolicy, verify_sender
from settings import load_settings

BOUNDARY = "mx.rootmail.example"


def verdict(sender: str, domain: str, policy: TrustPolicy | None = None):
    results = f"{BOUNDARY}; dkim=pass header.d={domain}; dmarc=pass header.from={domain}"
    return verify_sender({"from": [sender], "authentication-results": [results]}, sender,
                         policy or TrustPolicy((BOUNDARY,)))


@pytest.mark.parametrize("sender", ["Amazon Web Services <no-reply@signup.aws>",
                                    "AWS Marketplace <no-reply@marketplace.aws>",
                                    "Amazon Web Services <recover-mfa-no-reply@verify.signin.aws>",
                                    "Amazon Web Services <password-reset-no-reply@verify.signin.aws>",
                                    "AWS Free Tier <freetier@costalerts.amazonaws.com>",
                                    "Amazon Web Services <invoicing@aws.com>"])
def test_mail_from_every_aws_sending_domain_verifies_with_the_defaults(sender):
    domain = sender.rpartition("@")[2].rstrip(">")
    result = verdict(sender, domain)
    assert result.verified, result.reason


@pytest.mark.parametrize("domain", [d.domain for d in AWS_DOMAINS] + ["verify.signin.aws", "costalerts.amazonaws.com"])
def test_no_aws_domain_is_ever_called_a_look_alike(domain):
    assert lookalike_of(domain, ("signin.aws",)) is None
    assert lookalike_of(domain, DEFAULT_SENDER_DOMAINS) is None


def test_an_aws_domain_left_out_of_the_setting_is_refused_as_unconfigured_not_as_an_imitation():
    result = verdict("AWS Marketplace <no-reply@marketplace.aws>", "marketplace.aws",
                     TrustPolicy((BOUNDARY,), ("amazon.com", "signin.aws")))
    assert not result.verified
    assert "belongs to AWS" in result.reason and "imitates" not in result.reason


@pytest.mark.parametrize("domain", ["signup-aws.com", "marketplace-aws.com", "s1gnin.aws", "s\u0456gnup.aws",
                                    "amazon-billing.com", "awsevents.co"])
def test_imitations_of_aws_domains_are_still_named(domain):
    imitated = lookalike_of(domain, DEFAULT_SENDER_DOMAINS)
    assert imitated and owned_by_aws(imitated) or imitated in ("aws", "amazon"), (domain, imitated)


def test_the_setting_default_and_the_table_are_one_list():
    assert DEFAULT_AWS_DOMAINS == DEFAULT_SENDER_DOMAINS
    assert load_settings({}).aws_sender_domains == DEFAULT_SENDER_DOMAINS
    assert {"signup.aws", "signin.aws", "marketplace.aws", "amazon.com", "amazonaws.com"} <= set(DEFAULT_SENDER_DOMAINS)
    assert all(d.source for d in AWS_DOMAINS)
    assert owned_by_aws("Verify.Signin.AWS.") == "signin.aws" and owned_by_aws("signin.aws.evil.example") is None
