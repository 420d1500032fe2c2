"""Send a realistic AWS-style mail to the local SMTP inbox: `python -m scripts.demo_mail --to ADDRESS`."""
from __future__ import annotations

import argparse
import html
import os
import secrets
import smtplib
import string
import sys
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

AWS = "Amazon Web Services <no-reply@signin.aws>"
DEMO_BOUNDARY = "rootmail.localhost"  # settings.spec's ROOTMAIL_AUTHSERV_IDS default
AWS_BILLING = "Amazon Web Services <no-reply-aws@amazon.com>"
AWS_HEALTH = "AWS Health <no-reply-aws@amazon.com>"
FOOTER = ("Amazon Web Services, Inc. is a subsidiary of Amazon.com, Inc. Amazon.com is a registered trademark "
          "of Amazon.com, Inc. This message was produced and distributed by Amazon Web Services Inc., "
          "410 Terry Ave. North, Seattle, WA 98109-5210.")


def _verification(account: str, now: datetime) -> tuple[str, str, list[str]]:
    code = f"{secrets.randbelow(10**6):06d}"
    return AWS, "AWS Notification - Email Verification", [
        "Verify your identity",
        "Hello,",
        "To finish signing in to the AWS Management Console as the root user, enter this verification code "
        "on the sign-in page.",
        f"Verification code: {code}",
        "This code expires 10 minutes after it was sent. If you did not try to sign in, reset your root user "
        "password right away.",
        "Sincerely,\nAmazon Web Services"]


def _reset(account: str, now: datetime) -> tuple[str, str, list[str]]:
    token = secrets.token_urlsafe(48)
    link = f"https://signin.aws.amazon.com/resetpassword?type=RootUser&token={token}"
    return AWS, "Amazon Web Services Password Assistance", [
        "Password reset requested",
        "Hello,",
        "We received a request to reset the password of the root user of your AWS account "
        f"{account}. To choose a new password, open this link within 30 minutes:",
        link,
        "If you did not ask for this, ignore this message; your password stays as it is.",
        "Sincerely,\nAmazon Web Services"]


def _email_update(account: str, now: datetime) -> tuple[str, str, list[str]]:
    code = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6))
    return AWS, "Amazon Web Services - Verify your new email address", [
        "Confirm your new primary email address",
        "Hello,",
        f"You asked to change the root user email address of AWS account {account}. To confirm the change, "
        "enter the following code in the AWS Management Console:",
        code,
        "The code expires in 24 hours. If you did not ask for this change, contact AWS Support.",
        "Sincerely,\nAmazon Web Services"]


def _billing(account: str, now: datetime) -> tuple[str, str, list[str]]:
    month = (now.replace(day=1) - timedelta(days=1)).strftime("%B %Y")
    invoice = secrets.randbelow(9 * 10**9) + 10**9
    cents = secrets.randbelow(500_000)
    return AWS_BILLING, f"Amazon Web Services Billing Statement Available [Account: {account}]", [
        "Your invoice is available",
        "Greetings from Amazon Web Services,",
        f"This e-mail confirms that your latest billing statement for {month} is available on the AWS "
        "web site. Your account will be charged the following:",
        f"Total: ${cents // 100:,}.{cents % 100:02d}\nInvoice ID: {invoice}\nAccount ID: {account}",
        "You can see a complete break down of all charges on the Billing & Cost Management Dashboard.",
        "Thank you for using Amazon Web Services.\nSincerely,\nAmazon Web Services"]


def _health(account: str, now: datetime) -> tuple[str, str, list[str]]:
    instance = "i-0" + secrets.token_hex(8)
    when = (now + timedelta(days=14)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    return AWS_HEALTH, f"[Action Required] AWS Health Event - EC2 Instance Retirement [AWS Account: {account}]", [
        "AWS Health Event",
        "Hello,",
        f"EC2 has detected degradation of the underlying hardware hosting your Amazon EC2 instance {instance} "
        f"in the us-east-1 region. Due to this degradation your instance could already be unreachable. "
        f"We will stop your instance after {when}.",
        "Affected resources:\n" + instance,
        "Event ARN: arn:aws:health:us-east-1::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/"
        "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED_7a1b2c3d",
        "Sincerely,\nAmazon Web Services"]


KINDS = {"verification": _verification, "reset": _reset, "email-update": _email_update,
         "billing": _billing, "health": _health}


def build_message(kind: str, to: str, account: str = "123456789012", now: datetime | None = None) -> EmailMessage:
    """A multipart/alternative (plain + HTML) mail that looks like what AWS sends for `kind`."""
    now = now or datetime.now(timezone.utc)
    sender, subject, paragraphs = KINDS[kind](account, now)
    msg = EmailMessage()
    msg["Authentication-Results"] = boundary_results(sender)  # first: a boundary adds its header on top
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain="email.amazonses.com")
    msg["Return-Path"] = "<0100018e1c2d3e4f-demo-000000@email.amazonses.com>"
    msg.set_content("\n\n".join([*paragraphs, FOOTER]) + "\n")
    msg.add_alternative(_html(subject, paragraphs), subtype="html")
    return msg


def boundary_results(sender: str, authserv_id: str = DEMO_BOUNDARY) -> str:
    """What a receiving boundary that verified the mail writes; RootMail's default trusts this demo id only."""
    domain = sender.rpartition("@")[2].rstrip(">")
    return (f"{authserv_id}; dkim=pass header.d={domain} header.s=demo; dkim=pass header.d=amazonses.com; "
            f"spf=pass smtp.mailfrom=amazonses.com; dmarc=pass header.from={domain}")


def _html(subject: str, paragraphs: list[str]) -> str:
    blocks = []
    for text in paragraphs:
        escaped = html.escape(text).replace("\n", "<br>")
        if text.startswith("https://"):
            escaped = f'<a href="{html.escape(text)}">Reset your password</a>'
        blocks.append(f"<p style=\"font-family:Arial,sans-serif\">{escaped}</p>")
    return (f"<!DOCTYPE html><html><head><title>{html.escape(subject)}</title>"
            "<style>p{margin:0 0 12px}</style></head><body>"
            f"<div style=\"display:none\">{html.escape(subject)}</div>"
            f"<table width=\"600\"><tr><td><h2>{html.escape(paragraphs[0])}</h2>{''.join(blocks[1:])}"
            f"<p style=\"color:#687078;font-size:11px\">{html.escape(FOOTER)}</p></td></tr></table></body></html>")


def send(msg: EmailMessage, host: str, port: int, timeout: float = 10.0) -> None:
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        smtp.send_message(msg)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Send an AWS-style mail to RootMail's local SMTP inbox.")
    parser.add_argument("--to", required=True, help="a RootMail address, e.g. aws+prod-billing@example.com")
    parser.add_argument("--kind", choices=sorted(KINDS), default="verification")
    parser.add_argument("--account", default="123456789012", help="AWS account id mentioned in the mail")
    parser.add_argument("--host", default=os.environ.get("ROOTMAIL_SMTP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ROOTMAIL_SMTP_PORT", "2525")))
    args = parser.parse_args(argv)
    msg = build_message(args.kind, args.to, args.account)
    try:
        send(msg, args.host, args.port)
    except (OSError, smtplib.SMTPException) as error:
        print(f"could not deliver to {args.host}:{args.port}: {error}\n"
              "Is RootMail running (make run) with its SMTP inbox on that port?", file=sys.stderr)
        return 1
    print(f"sent {args.kind} mail to {args.to} via {args.host}:{args.port}")
    for name in ("From", "To", "Subject", "Date", "Message-ID"):
        print(f"{name}: {msg[name]}")
    print()
    print(msg.get_body(("plain",)).get_content())
    return 0


if __name__ == "__main__":
    sys.exit(main())
