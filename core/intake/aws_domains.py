"""The registrable domains AWS owns and sends mail from, each with where that is written down: one table for all.

ROOTMAIL_AWS_SENDER_DOMAINS defaults to the domains marked `root_mail` (where AWS sends the mail a root address gets);
the look-alike detector treats every domain here (and under it) as AWS's own and never calls it a look-alike, so a
genuine mail from an AWS domain that is not configured is refused as unconfigured, never as an imitation.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AwsDomain:
    domain: str
    root_mail: bool  # AWS sends root-user mail from it (or from a subdomain)
    source: str


AWS_DOMAINS: tuple[AwsDomain, ...] = (
    AwsDomain("amazon.com", True, "no-reply-aws@amazon.com on support cases and notices (Splunk BOTSv3 stream:smtp; "
              "Amazon Pinpoint User Guide 'Verifying email identities'); ec2-abuse@amazon.com on abuse reports"),
    AwsDomain("amazonaws.com", True, "freetier@costalerts.amazonaws.com, no-reply@sns.amazonaws.com (SNS 'AWS "
              "Notification - Subscription Confirmation'); Sublime Security rule 'Brand impersonation: Amazon Web "
              "Services (AWS)' lists it as AWS's own"),
    AwsDomain("amazonses.com", True, "Amazon SES, which AWS sends its own mail through (a second DKIM signature, "
              "smtp.mailfrom bounces@amazonses.com); Sublime rule"),
    AwsDomain("aws.com", True, "invoicing@aws.com on 'Amazon Web Services Billing Statement Available'; Sublime rule"),
    AwsDomain("signin.aws", True, "IAM User Guide 'Troubleshoot issues with the root user': 'search for messages sent "
              "from @signin.aws or @verify.signin.aws'; recover-mfa-no-reply@verify.signin.aws (IAM User Guide, lost "
              "MFA device); no-reply@verify.signin.aws (Account Management, root e-mail update code)"),
    AwsDomain("signup.aws", True, "no-reply@signup.aws sends the sign-up verification code (course README quoted in "
              "tests/mails/real/provenance.json)"),
    AwsDomain("marketplace.aws", True, "no-reply@marketplace.aws (AWS Marketplace notices); Sublime rule"),
    AwsDomain("amazon.co.jp", True, "Amazon Web Services Japan billing mail (RootMail's earlier default)"),
    AwsDomain("amazonaws.cn", False, "AWS China regions (Sublime rule)"),
    AwsDomain("awsevents.com", False, "re:Invent and Summit registration (Sublime rule; sublime-rules PR #3309)"),
    AwsDomain("aws-experience.com", False, "AWS event mail (Sublime rule)"),
    AwsDomain("repost.aws", False, "AWS re:Post (Sublime rule)"),
    AwsDomain("awscustomercouncil.com", False, "AWS Customer Council (Sublime rule)"),
    AwsDomain("awseducate.com", False, "AWS Educate (Sublime rule)"),
    AwsDomain("awsacademy.com", False, "AWS Academy (Sublime rule)"),
)

DEFAULT_SENDER_DOMAINS: tuple[str, ...] = tuple(d.domain for d in AWS_DOMAINS if d.root_mail)
OWNED: tuple[str, ...] = tuple(d.domain for d in AWS_DOMAINS)


def owned_by_aws(domain: str, extra: tuple[str, ...] = ()) -> str | None:
    """The AWS-owned registrable domain `domain` is, or is under (from this table or `extra`); None otherwise."""
    domain = domain.lower().rstrip(".")
    return next((d for d in (*OWNED, *extra) if domain == d or domain.endswith("." + d)), None)
