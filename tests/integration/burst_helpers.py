"""Bursts of AWS root mail for tests and benchmarks: channels with their stored references, many addresses, mails.

Addresses go straight into the store (as the allocator would write them), each channel's conversation reference
pointing at a fake Bot Connector; mails are AWS-shaped, signed by the boundary RootMail trusts, of chosen kinds.
"""
from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import Iterator

from core.errors import StoreUnavailable
from core.intake.ingest import dedupe_key, ingest
from core.intake.parsed import ParsedMail
from core.model import AddressState, Owner, Person, RootAddress
from scripts.demo_mail import boundary_results

TENANT = "tenant-0001"
BOT = {"id": "28:rootmail-bot", "name": "RootMail"}
AWS = "Amazon Web Services <no-reply@signin.aws>"
AWS_NOTICES = "Amazon Web Services <no-reply-aws@amazon.com>"
T0 = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
ALICE = Person("29:alice", "Alice Admin", "aad-alice")

# (kind of mail, subject, body): what AWS sends to every root address at once, and the urgent mail among it
KINDS = {
    "health": ("AWS Health Event - Scheduled maintenance for your EC2 instances",
               "AWS Health: a scheduled change affects resources in this account."),
    "billing": ("Your AWS invoice is available", "Your AWS billing statement for the account is available."),
    "reset": ("Amazon Web Services Password Assistance",
              "To reset the root user password open https://signin.aws.amazon.com/resetpassword?token=abc123XYZ"),
    "code": ("AWS Notification - Email Verification", "Verification code: 482913"),
}
URGENT = ("reset", "code")


def channel(n: int) -> str:
    return f"19:burst-{n:04d}@thread.tacv2"


def owner(n: int, service_url: str) -> Owner:
    cid = channel(n)
    reference = {"bot": BOT, "conversation": {"id": cid, "conversationType": "channel", "isGroup": True,
                                              "tenantId": TENANT},
                 "channelId": "msteams", "serviceUrl": service_url, "locale": "en-US"}
    return Owner(cid, f"Channel {n}", f"19:team-{n % 7}@thread.tacv2", f"Team {n % 7}", TENANT, reference)


def address(i: int) -> str:
    return f"aws-{i:06d}@example.com"


def record(i: int, owner_: Owner) -> RootAddress:
    return RootAddress(address(i), "aws-root@example.com", f"account-{i:06d}", "production", "burst", owner_, ALICE,
                       T0, T0, AddressState.ACTIVE, request_id=f"burst-{i}")


async def add_addresses(store, count: int, channels: int, service_url: str) -> None:
    """`count` addresses spread over `channels` channels (address i belongs to channel i % channels)."""
    owners = [owner(n, service_url) for n in range(channels)]
    for o in owners:
        await store.save_conversation(o)
    for start in range(0, count, 200):
        await asyncio.gather(*(store.create_address(record(i, owners[i % channels]))
                               for i in range(start, min(start + 200, count))))


def mail(kind: str, n: int, burst: str = "b1") -> ParsedMail:
    subject, text = KINDS[kind]
    sender = AWS if kind in URGENT else AWS_NOTICES
    return ParsedMail(message_id=f"<{burst}-{kind}-{n}@amazonses.com>", sender=sender, subject=subject, date=T0,
                      text=text, size=900,
                      headers={"from": [sender], "authentication-results": [boundary_results(sender)]})


@dataclass(frozen=True)
class Burst:
    """Which mail goes to which address: `urgent_every`-th mail is a code or a reset, the rest health and billing."""

    mails: int
    channels: int
    urgent_every: int = 25

    def items(self) -> Iterator[tuple[str, ParsedMail, str]]:
        kinds = itertools.cycle(("health", "billing"))
        urgent = itertools.cycle(URGENT)
        for n in range(self.mails):
            kind = next(urgent) if self.urgent_every and n % self.urgent_every == self.urgent_every - 1 else next(kinds)
            yield kind, mail(kind, n), address(n)


async def deliver(store, clock, inspector, burst: Burst, on_new=lambda: None, concurrency: int = 1) -> dict[str, str]:
    """Ingest the burst as the mail sources do, `concurrency` mails at a time (as that many SMTP connections would),
    retrying what the store could not take (as an MTA or the Graph source would); returns {mail key: kind}."""
    keys: dict[str, str] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(kind: str, parsed: ParsedMail, to: str) -> None:
        async with gate:
            for attempt in itertools.count():
                try:
                    await ingest(store, clock, parsed, [to], inspector)
                    break
                except StoreUnavailable:
                    if attempt == 20:
                        raise
                    await asyncio.sleep(0.2)
        keys[dedupe_key(parsed.message_id, to)] = kind
        if len(keys) % 100 == 0:
            on_new()
    items = list(burst.items())
    for start in range(0, len(items), 500):  # tasks for a slice at a time, so 10,000 mails are not 10,000 tasks
        await asyncio.gather(*(one(*item) for item in items[start:start + 500]))
    on_new()
    return keys


def smtp_message(kind: str, n: int, burst: str = "b1") -> EmailMessage:
    parsed = mail(kind, n, burst)
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = parsed.sender, parsed.subject, parsed.message_id
    message["Authentication-Results"] = parsed.headers["authentication-results"][0]
    message["Date"] = "Sat, 21 Nov 2026 09:00:00 +0000"
    message.set_content(parsed.text)
    return message
