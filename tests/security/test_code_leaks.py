"""A code or link sealed for Reveal is never also shown in clear: redaction hides what extraction takes, whatever the
layout, and a last guard redacts any card about to be posted that still carries a sealed value."""
from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cards.mail import mail_card
from core.addresses.access import Access, AccessPolicy
from core.delivery.forwarding import Forwarder
from core.intake.aws_mail_rules import RULES
from core.intake.classify import extract, rule_for
from core.intake.ingest import ingest, safe_preview
from core.intake.inspection import Inspector, secret_context
from core.intake.leak_guard import LeakGuard
from core.intake.parsed import ParsedMail
from core.intake.redact import redact
from core.intake.reveal import RevealCards, Revealer
from core.intake.secret_finder import LINK, SPREAD
from core.intake.sender_trust import TrustPolicy
from core.model import MailState
from crypto.box import AesGcmBox
from mail.mime import parse_message
from storage.sqlite import open_sqlite
from tests.contract.conftest import TEAM, address
from tests.fakes.poster import RecordingPoster

NOW = datetime.now(timezone.utc)
BOX = AesGcmBox([bytes(range(32))])
TO = "aws-0042@rootmail.example"
PASS = "mx.rootmail.example; dkim=pass header.d=signin.aws; dmarc=pass header.from=signin.aws"
CODE_KINDS = [rule for rule in RULES if rule.secret in ("digits", "update-code")]


def parsed(subject: str, text: str, links: tuple[str, ...] = ()) -> ParsedMail:
    sender = "Amazon Web Services <no-reply@signin.aws>"
    return ParsedMail(message_id=f"<{abs(hash((subject, text)))}@signin.aws>", sender=sender, subject=subject,
                      date=NOW, text=text, size=len(text), headers={"from": [sender], "authentication-results": [PASS]},
                      links=links)


# The formats an attacker found the extractor took and the redactor showed (issue 16, item 2).
@pytest.mark.parametrize("text, kind, code", [
    ("Verification code:-516483", "verification_code", "516483"),
    ("Your verification code=#928177 expires soon", "verification_code", "928177"),
    ("Your code is 123 456x", "verification_code", "123456"),
    ("Your update code:\n\ncode: QWERTY\n", "email_update_code", "QWERTY"),
])
def test_what_the_extractor_takes_redaction_hides(text, kind, code):
    assert extract(rule_for(kind), "", text).value == code
    shown = redact(text)
    assert code not in shown.replace(" ", "") and code[:3] not in shown


WRAPPED = (
    "Password reset requested\n\nTo choose a new password, open this link within 30 minutes:\n\n"
    "https://signin.aws.amazon.com/resetpassword?type=RootUser&token=Vx3kQ9mZ2pLr8Tn4Ws6Yb1\n"
    "Cd5Fg7Hj0KlMnOpQrStUvWxYz-_AbCdEf123456&key=Zq8Lm3Nv7Rt2Wx5Yc9Bd4Fg6Hj1K\n"
    "p0Ts\n\nIf you did not ask for this, ignore this message.\n")
WRAPPED_LINK = ("https://signin.aws.amazon.com/resetpassword?type=RootUser&token=Vx3kQ9mZ2pLr8Tn4Ws6Yb1"
                "Cd5Fg7Hj0KlMnOpQrStUvWxYz-_AbCdEf123456&key=Zq8Lm3Nv7Rt2Wx5Yc9Bd4Fg6Hj1Kp0Ts")


def test_a_reset_link_hard_wrapped_in_plain_text_is_sealed_whole_and_leaves_no_tail():
    assert extract(rule_for("password_reset"), "", WRAPPED).value == WRAPPED_LINK
    preview = safe_preview(WRAPPED)
    for tail in ("Cd5Fg7Hj0Kl", "AbCdEf123456", "Zq8Lm3Nv7Rt2", "p0Ts", "resetpassword"):
        assert tail not in preview
    assert "If you did not ask for this" in preview  # the words after the link stay readable


def test_a_line_after_a_link_that_is_a_word_is_not_taken_for_its_tail():
    text = "Open https://signin.aws.amazon.com/resetpassword?type=RootUser&token=abcdefghij\nThanks\n"
    assert extract(rule_for("password_reset"), "", text).value.endswith("token=abcdefghij")
    assert redact(text).endswith("Thanks\n")


@pytest.mark.parametrize("text", ["Your code\n4\n8\n2\n9\n1\n3\n", "Verification code: 4 8 2 9 1 3", "PIN 48 29 13"])
def test_digits_spread_over_cells_or_lines_are_one_code(text):
    assert extract(rule_for("verification_code"), "", text).value == "482913"
    assert "4" not in redact(text).replace("[code hidden]", "")


@pytest.fixture
async def store(tmp_path):
    async with open_sqlite(tmp_path / "leaks.db") as sqlite:
        await sqlite.create_address(address(TO))
        await sqlite.save_conversation(TEAM)
        yield sqlite


def leaky_card(mail, record, *reveals):
    """A card builder with a bug: it shows what it should not (the mail's sealed code, opened)."""
    card = mail_card(mail, record)
    card["body"].append({"type": "TextBlock", "text": f"debug: {BOX.open(mail.secret, secret_context(mail.key))}"})
    return card


async def test_the_forwarder_never_posts_a_card_carrying_a_sealed_code_and_logs_it(store, caplog):
    inspector = Inspector(TrustPolicy(("mx.rootmail.example",)), BOX, timedelta(minutes=15))
    [record] = await ingest(store, lambda: NOW, parsed("AWS Email Verification", "Verification code: 482913"), [TO],
                            inspector)
    poster = RecordingPoster()
    forwarder = Forwarder(store, poster, lambda: NOW, leaky_card, "test-1", guard=LeakGuard(BOX))
    with caplog.at_level(logging.WARNING, logger="core.intake.leak_guard"):
        await forwarder.run_once()

    [card] = poster.cards()
    assert "482913" not in json.dumps(card) and "debug: [hidden]" in json.dumps(card)
    assert (await store.get_mail(record.key)).state is MailState.FORWARDED
    [event] = [r for r in caplog.records if r.name == "core.intake.leak_guard"]
    assert event.mail_keys == [record.key] and "482913" not in event.getMessage()


async def test_a_card_update_after_reveal_passes_the_guard_too(store):
    inspector = Inspector(TrustPolicy(("mx.rootmail.example",)), BOX, timedelta(minutes=15))
    text = "Reset it: https://signin.aws.amazon.com/resetpassword?type=RootUser&token=Vx3kQ9mZ2pLr8Tn4Ws6Yb1Cd5Fg7Hj0"
    [record] = await ingest(store, lambda: NOW, parsed("Amazon Web Services Password Assistance", text), [TO], inspector)
    stored = await store.get_mail(record.key)
    posted = await store.update_mail(replace(stored, activity_id="a-1", posted_to=TEAM.conversation_id))
    updates = []

    class Messenger:
        async def send_private(self, person, where, card, summary):
            pass

        async def update(self, owner, activity_id, card, summary):
            updates.append(card)

    class Members:
        async def is_member(self, owner, person):
            return True

    revealer = Revealer(store, lambda: NOW, BOX, Access(AccessPolicy()), Members(), Messenger(),
                        RevealCards(leaky_card, lambda *a: {"type": "AdaptiveCard"}))
    await revealer._refresh(posted, await store.get_address(TO), [])
    [card] = updates
    assert "Vx3kQ9mZ2pLr8Tn4" not in json.dumps(card) and "resetpassword" not in json.dumps(card)


def test_the_guard_hides_a_wrapped_tail_of_a_sealed_link_and_each_query_value():
    mail = _sealed(WRAPPED_LINK, LINK)
    card = {"body": [{"text": "tail: Cd5Fg7Hj0KlMnOpQrStUvWxYz-_AbCdEf"}, {"text": "key=Zq8Lm3Nv7Rt2Wx5Yc9Bd4Fg6Hj1Kp0Ts"},
                     {"text": "type=RootUser stays"}]}
    cleaned = json.dumps(LeakGuard(BOX).clean(card, [mail]))
    assert "Cd5Fg7Hj0Kl" not in cleaned and "Zq8Lm3Nv7Rt2" not in cleaned and "RootUser stays" in cleaned


def _sealed(value: str, kind: str):
    from tests.contract.conftest import mail
    key = "sealed-1"
    return replace(mail(key, to=TO), secret=BOX.seal(value, secret_context(key)), secret_kind=kind,
                   secret_expires_at=NOW + timedelta(minutes=15), verdict="verified")


# --- properties -----------------------------------------------------------------------------------------------------
_FILLER = st.text(alphabet=st.sampled_from(list("abcXYZ019 :=#-\n\t.,()")), max_size=60)
_KEYWORDS = st.sampled_from(["code", "Code", "passcode", "OTP", "PIN", "verification code", "Your code is"])
_GLUES = st.sampled_from([" ", ": ", ":-", "=#", " is ", ":\n\n", "\n", " = ", "#", ": code: "])
_CODES = st.one_of(st.from_regex(r"\A\d{6}\Z"), st.from_regex(r"\A\d{3}[ -]\d{3}\Z"), st.from_regex(r"\A[A-Z0-9]{6}\Z"),
                   st.from_regex(r"\A(\d\n){5}\d\Z"))


@st.composite
def mail_texts(draw):
    return draw(_FILLER) + draw(_KEYWORDS) + draw(_GLUES) + draw(_CODES) + draw(_FILLER)


def readable(value: str, text: str) -> bool:
    """The code in the text, also spread with spaces, hyphens or line breaks (core.intake.secret_finder.SPREAD)."""
    return re.search(SPREAD.join(map(re.escape, value)), text) is not None


def card_text(card) -> str:
    if isinstance(card, str):
        return card
    if isinstance(card, dict):
        return "\n".join(card_text(v) for v in card.values())
    if isinstance(card, list):
        return "\n".join(card_text(v) for v in card)
    return ""


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mail_texts(), rule=st.sampled_from(CODE_KINDS))
def test_whatever_code_the_extractor_takes_redaction_hides(text, rule):
    secret = extract(rule, "", text)
    if secret is None:
        return
    assert not readable(secret.value, redact(text)) and not readable(secret.value, safe_preview(text))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(text=mail_texts(), subject=st.sampled_from(["AWS Email Verification", "Verify your new email address"]))
def test_whatever_secret_is_sealed_the_posted_card_never_contains(tmp_path_factory, text, subject):
    asyncio.run(_post_one(tmp_path_factory.mktemp("prop") / "p.db", subject, text))


async def _post_one(path, subject: str, text: str) -> None:
    inspector = Inspector(TrustPolicy(("mx.rootmail.example",)), BOX, timedelta(minutes=15))
    async with open_sqlite(path) as store:
        await store.create_address(address(TO))
        await store.save_conversation(TEAM)
        [record] = await ingest(store, lambda: NOW, parsed(subject, text), [TO], inspector)
        if not record.secret:
            return
        value = BOX.open(record.secret, secret_context(record.key))
        poster = RecordingPoster()
        await Forwarder(store, poster, lambda: NOW, mail_card, "test-1", guard=LeakGuard(BOX)).run_once()
        [card] = poster.cards()
        assert not readable(value, card_text(card))


def test_a_real_html_only_code_is_sealed_and_not_shown():
    from tests.paths import MAILS
    mail = parse_message((MAILS / "real" / "genuine" / "signup-verification-react-email-html.eml").read_bytes())
    assert extract(rule_for("verification_code"), mail.subject, mail.text).value == "596853"
    assert "596853" not in redact(mail.text) and "596853" not in safe_preview(mail.text)
