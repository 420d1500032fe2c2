"""Mail that does not verify as AWS never reaches a channel: admins get it as a quarantine card, with the reason."""
from __future__ import annotations

import asyncio
import smtplib

import pytest

from app import INBOX
from core.model import MailState
from tests.cardwalk import actions, text
from tests.fakes import teams
from tests.integration.protection_helpers import (deliver, everything_shown, owned_address, posted_in, settled,
                                                  start)  # noqa: F401  (fixture)
from tests.unit.intake.test_sender_trust import TRUST_CORPUS
from tests.paths import MAILS

TRUST = MAILS / "trust"
# Over SMTP only the boundary's own id is trusted: Exchange Online's header carries none, so any SMTP client could
# write one (settings refuse exchange-online for the SMTP source; tests/security/test_smtp_trust.py). Exchange
# Online's mail arrives through Microsoft Graph, where the tests/integration/graph tests verify it.
BOUNDARY = {"ROOTMAIL_AUTHSERV_IDS": "mx.rootmail.example", "ROOTMAIL_MAIL_SOURCE": "smtp"}
SPOOFS = sorted(name for name, (verified, _) in TRUST_CORPUS.items() if not verified)
GENUINE = sorted(name for name, (verified, _) in TRUST_CORPUS.items() if verified and "exchange_online" not in name)
SECRETS = ("731904", "558812", "Z9K4QX", "Ht8Mn2Bv5Cx7Zl9Kj4Hg6Fd1Sa3Qw", "Qw3rTy7Ui9Op1As2Df4Gh6Jk8Lz0Xc")


async def smtp(rootmail, raw: bytes, to: str) -> None:
    port = rootmail.client.app[INBOX].port

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail("bounce@amazonses.com", [to], raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    await asyncio.to_thread(send)


async def test_every_spoof_in_the_corpus_goes_to_admins_and_none_to_the_channel(start):
    rootmail = await start(**BOUNDARY)
    await rootmail.say("help", teams.PERSONAL)  # the admin conversation is known once it talked to the bot
    address = await owned_address(rootmail)
    before = len(rootmail.connector.sent)

    for name in SPOOFS:
        await smtp(rootmail, (TRUST / name).read_bytes(), address)
    await settled(rootmail, MailState.QUARANTINED, len(SPOOFS))

    posts = rootmail.connector.sent[before:]
    assert {p.conversation_id for p in posts} == {teams.PERSONAL.conversation_id}
    assert len(posts) == len(SPOOFS)
    assert all("Quarantined: the sender could not be verified" in text(p.cards[0]) for p in posts)
    reasons = "\n".join(text(p.cards[0]) for p in posts)
    for name in SPOOFS:
        assert TRUST_CORPUS[name][1] in reasons, name
    assert not any(s in everything_shown(rootmail) for s in SECRETS)
    for mail in await rootmail.store.recent_mails(address, 50):
        assert mail.state is MailState.QUARANTINED and mail.secret == "" and mail.posted_to == teams.PERSONAL.conversation_id
    quarantined = [e for e in await rootmail.store.audit_for(address, 50) if e.action == "quarantine"]
    assert len(quarantined) == len(SPOOFS) and all(e.detail["reason"] for e in quarantined)


async def test_genuine_mail_over_smtp_reaches_the_owning_channel_with_its_code_sealed(start):
    rootmail = await start(**BOUNDARY)
    address = await owned_address(rootmail)

    for name in GENUINE:
        before = len(rootmail.connector.sent)
        await smtp(rootmail, (TRUST / name).read_bytes(), address)
        card = await posted_in(rootmail, teams.PLATFORM.conversation_id, before)
        assert "Reveal" in str([a["title"] for a in actions(card)]), name
    await settled(rootmail, MailState.FORWARDED, len(GENUINE))
    assert not any(s in everything_shown(rootmail) for s in SECRETS)
    assert all(m.secret for m in await rootmail.store.recent_mails(address, 50))


async def test_the_quarantine_card_says_what_the_mail_claims_and_why_it_is_not_trusted(start):
    rootmail = await start(**BOUNDARY)
    await rootmail.say("help", teams.PERSONAL)
    address = await owned_address(rootmail)
    before = len(rootmail.connector.sent)

    await deliver(rootmail, (TRUST / "display_name_trick.eml").read_bytes(), address)

    card = await posted_in(rootmail, teams.PERSONAL.conversation_id, before)
    shown = text(card)
    for expected in ("Claims to be", "Verification code", "attacker@evil.example", address, "Cloud Platform",
                     "display name pretends to be signin.aws", "No code or link was taken out of this mail",
                     "Verification code: [code hidden]"):
        assert expected in shown, expected
    assert "731904" not in str(card) and [a["verb"] for a in actions(card)] == ["lookup"]


async def test_without_an_admin_conversation_unverified_mail_is_kept_quarantined_and_shown_to_no_one(start):
    rootmail = await start(ROOTMAIL_ADMIN_CONVERSATION="", **BOUNDARY)
    address = await owned_address(rootmail)
    before = len(rootmail.connector.sent)

    await deliver(rootmail, (TRUST / "spoofed_from_no_results.eml").read_bytes(), address)
    await settled(rootmail, MailState.QUARANTINED)

    assert rootmail.connector.sent[before:] == []
    [mail] = await rootmail.store.recent_mails(address, 5)
    assert mail.verdict == "unverified" and "no Authentication-Results" in mail.verdict_reason


@pytest.mark.parametrize("boundary", ["mx.other.example", "exchange-online"])
async def test_mail_verified_by_a_boundary_rootmail_does_not_trust_is_quarantined(start, boundary):
    rootmail = await start(ROOTMAIL_AUTHSERV_IDS=boundary)
    await rootmail.say("help", teams.PERSONAL)
    address = await owned_address(rootmail)
    before = len(rootmail.connector.sent)

    await deliver(rootmail, (TRUST.parent / "aws_verification_code.eml").read_bytes(), address)

    card = await posted_in(rootmail, teams.PERSONAL.conversation_id, before)
    assert "not by your mail boundary" in text(card) and "482913" not in str(card)
