"""A second mail with a known Message-ID: the same mail again is ignored, a different one is recorded and reported.

The attack: mail is deduplicated by (Message-ID, recipient), and a sender chooses its Message-ID. A forged mail sent
first with the Message-ID the real AWS mail will carry (AWS's are predictable enough: <...@email.amazonses.com>) made
RootMail drop the real one, code and all; a forgery sent after a real mail vanished without a trace."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cards.mail import mail_card
from cards.protection import quarantine_card
from core.delivery.forwarding import Forwarder
from core.intake.ingest import ingest
from core.intake.inspection import Inspector
from core.intake.parsed import ParsedMail
from core.intake.sender_trust import TrustPolicy
from core.model import MailState, Owner
from crypto.box import AesGcmBox
from storage.sqlite import open_sqlite
from tests.cardcheck import texts
from tests.contract.conftest import TEAM, address
from tests.fakes.poster import RecordingPoster

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
TO = "aws-0042@rootmail.example"
ADMINS = Owner("19:admins@thread.tacv2", "RootMail admins")
MESSAGE_ID = "<0100018e21f0a1b2-c3d4e5f6@email.amazonses.com>"
REAL = "Amazon Web Services <no-reply@signin.aws>"
PASS = "mx.rootmail.example; dkim=pass header.d=signin.aws; dmarc=pass header.from=signin.aws"
FORGED = "mx.rootmail.example; dkim=none; spf=fail smtp.mailfrom=evil.example; dmarc=fail header.from=signin.aws"


def mail(results: str, text: str = "Verification code: 482913", sender: str = REAL) -> ParsedMail:
    return ParsedMail(message_id=MESSAGE_ID, sender=sender, subject="AWS Email Verification", date=NOW, text=text,
                      size=len(text), headers={"from": [sender], "authentication-results": [results]})


@pytest.fixture
async def world(tmp_path):
    async with open_sqlite(tmp_path / "dup.db") as store:
        await store.create_address(address(TO))
        await store.save_conversation(TEAM)
        await store.save_conversation(ADMINS)
        inspector = Inspector(TrustPolicy(("mx.rootmail.example",)), AesGcmBox([bytes(range(32))]),
                              timedelta(minutes=15))
        poster = RecordingPoster()
        forwarder = Forwarder(store, poster, lambda: NOW, mail_card, "test-1", ADMINS.conversation_id,
                              quarantine=quarantine_card)
        yield store, inspector, poster, forwarder


async def test_a_forgery_sent_first_does_not_make_the_real_mail_disappear(world):
    store, inspector, poster, forwarder = world
    [forged] = await ingest(store, lambda: NOW, mail(FORGED, "Verification code: 111111"), [TO], inspector)
    [real] = await ingest(store, lambda: NOW, mail(PASS), [TO], inspector)
    await forwarder.run_once()

    real = await store.get_mail(real.key)
    assert real.verdict == "verified" and real.duplicate_of == forged.key and real.secret
    assert real.state is MailState.FORWARDED and real.posted_to == TEAM.conversation_id
    team_card = poster.cards(TEAM.conversation_id)[0]
    assert any("same Message-ID came first" in line for line in texts(team_card))
    [event] = [e for e in await store.audit_for(TO, 10) if e.action == "duplicate-message-id"]
    assert event.detail["first"] == forged.key and event.detail["first_verdict"] == "unverified"


async def test_a_forgery_sent_after_the_real_mail_is_recorded_and_quarantined_with_the_reason(world):
    store, inspector, poster, forwarder = world
    [real] = await ingest(store, lambda: NOW, mail(PASS), [TO], inspector)
    [forged] = await ingest(store, lambda: NOW, mail(FORGED, "Your code expired, sign in at https://evil.example"),
                            [TO], inspector)
    await forwarder.run_once()

    forged = await store.get_mail(forged.key)
    assert forged.duplicate_of == real.key and forged.state is MailState.QUARANTINED
    assert "reuses the Message-ID" in forged.verdict_reason
    admin_cards = poster.cards(ADMINS.conversation_id)
    assert any("reuses the Message-ID" in line for card in admin_cards for line in texts(card))


async def test_the_same_mail_delivered_again_is_still_recorded_once(world):
    store, inspector, poster, forwarder = world
    assert len(await ingest(store, lambda: NOW, mail(PASS), [TO], inspector)) == 1
    assert await ingest(store, lambda: NOW, mail(PASS), [TO], inspector) == []
    assert await store.count_mails() == 1
    assert [e for e in await store.audit_for(TO, 10) if e.action == "duplicate-message-id"] == []


async def test_a_verified_mail_with_other_content_is_reported_and_a_third_copy_of_it_is_not(world):
    store, inspector, poster, forwarder = world
    await ingest(store, lambda: NOW, mail(PASS), [TO], inspector)
    [other] = await ingest(store, lambda: NOW, mail(PASS, "Verification code: 654321"), [TO], inspector)
    assert other.duplicate_of and other.verdict == "verified"
    assert await ingest(store, lambda: NOW, mail(PASS, "Verification code: 654321"), [TO], inspector) == []
    assert await store.count_mails() == 2
