"""Property-based fuzz of parse -> inspect -> ingest -> card: nothing raises, nothing is lost, no code reaches a
channel card, and only verified AWS mail yields a sealed secret. FUZZ_EXAMPLES sets the run size."""
from __future__ import annotations

import asyncio
import base64
import json
import os
import quopri
import random
import re
import time
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings, strategies as st

import cards
from cards.protection import quarantine_card
from core.intake.classify import rule_for
from core.intake.ingest import ingest
from core.intake.inspection import Inspector, secret_context
from core.model import InboundMail
from core.intake.redact import CODE_HIDDEN
from core.intake.sender_trust import TrustPolicy
from crypto.box import AesGcmBox
from mail.mime import parse_message
from tests import cardcheck
from tests.paths import MAILS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "600"))
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
BOUNDARY = "mx.rootmail.example"
BOX = AesGcmBox([bytes(range(32))])
INSPECTOR = Inspector(TrustPolicy((BOUNDARY,)), BOX, timedelta(minutes=15))
CARD_LIMIT = 28_000
FAST = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class MemoryStore:
    """Just what ingest needs, in memory."""

    def __init__(self) -> None:
        self.mails: dict[str, InboundMail] = {}

    async def record_mail(self, mail: InboundMail) -> bool:
        if mail.key in self.mails:
            return False
        self.mails[mail.key] = mail
        return True


# --- building hostile mail ------------------------------------------------------------------------------------------
KINDS = {
    "verification": ("AWS Notification - Email Verification", "Verification code: {code}"),
    "signin": ("Your AWS sign-in one-time passcode", "Your one-time code is {code}."),
    "update": ("Amazon Web Services - Verify your new email address", "enter the following code:\n\n{ucode}\n\nThanks"),
    "reset": ("Amazon Web Services Password Assistance", "Reset here:\nhttps://signin.aws.amazon.com/resetpassword?"
              "type=RootUser&token={token}\n"),
    "billing": ("Amazon Web Services Billing Statement Available", "Total: $12.34 for code {code}"),
    "other": ("{noise}", "{noise} {code} {noise}"),
}
SENDERS = {
    "genuine": "Amazon Web Services <no-reply@signin.aws>",
    "lookalike": "Amazon Web Services <no-reply@signin-aws.com>",
    "homoglyph": "Amazon Web Services <no-reply@\u0455ignin.aws>",
    "display": '"no-reply@signin.aws" <attacker@evil.example>',
    "two": "AWS <no-reply@signin.aws>, Evil <x@evil.example>",
    "none": "",
}
PASS = f"{BOUNDARY}; dkim=pass header.d=signin.aws; dmarc=pass header.from=signin.aws"
RESULTS = {
    "trusted-pass": [PASS],
    "trusted-fail": [f"{BOUNDARY}; dkim=fail header.d=signin.aws; dmarc=fail header.from=signin.aws"],
    "forged-below": [f"{BOUNDARY}; dkim=none; dmarc=none", PASS],
    "foreign-top": [PASS.replace(BOUNDARY, "mx.evil.example"), PASS],
    "none": [],
}
CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "iso-2022-jp", "koi8-r", "x-unknown-charset"]
ENCODINGS = ["7bit", "8bit", "quoted-printable", "base64"]
noise = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)


def encode_body(text: str, charset: str, cte: str) -> bytes:
    try:
        raw = text.encode(charset, "replace")
    except LookupError:
        raw = text.encode("utf-8", "replace")
    if cte == "quoted-printable":
        return quopri.encodestring(raw)
    if cte == "base64":
        return base64.encodebytes(raw)
    return raw


def part(text: str, subtype: str, charset: str, cte: str) -> bytes:
    head = f"Content-Type: text/{subtype}; charset=\"{charset}\"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
    return head.encode() + encode_body(text, charset, cte).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def build(kind: str, sender: str, results: list[str], shape: str, charset: str, cte: str, code: str, ucode: str,
          token: str, before: str, after: str, subject_noise: str) -> bytes:
    subject, body = KINDS[kind]
    fill = {"code": code, "ucode": ucode, "token": token, "noise": subject_noise}
    subject, body = subject.format(**fill), f"{before}\n{body.format(**fill)}\n{after}"
    headers = "".join(f"Authentication-Results: {r}\r\n" for r in results)
    if sender:
        headers += f"From: {sender}\r\n"
    subject_header = "=?utf-8?b?" + base64.b64encode(subject.encode("utf-8", "replace")).decode() + "?="
    headers += (f"To: aws-0001@example.com\r\nSubject: {subject_header}\r\nMessage-ID: <{code}{ucode}@fuzz>\r\n"
                "MIME-Version: 1.0\r\n")
    html = f"<html><body><p>{body}</p><a href=\"https://signin.aws.amazon.com/resetpassword?token={token}\">x</a>"
    if shape == "plain":
        return headers.encode("utf-8", "replace") + part(body, "plain", charset, cte)
    if shape == "html-only":
        return headers.encode("utf-8", "replace") + part(html, "html", charset, cte)
    inner = (b"--in\r\n" + part(body, "plain", charset, cte) + b"\r\n--in\r\n" + part(html, "html", "utf-8", cte)
             + b"\r\n--in--\r\n")
    if shape == "alternative":
        return headers.encode("utf-8", "replace") + b'Content-Type: multipart/alternative; boundary="in"\r\n\r\n' + inner
    attachment = (b"--out\r\nContent-Type: text/plain; name=x.txt\r\nContent-Disposition: attachment; filename=x.txt"
                  b"\r\n\r\ncode: " + code.encode() + b"\r\n--out--\r\n")
    return (headers.encode("utf-8", "replace") + b'Content-Type: multipart/mixed; boundary="out"\r\n\r\n--out\r\n'
            b'Content-Type: multipart/alternative; boundary="in"\r\n\r\n' + inner + attachment)


mails = st.fixed_dictionaries({
    "kind": st.sampled_from(sorted(KINDS)), "sender": st.sampled_from(sorted(SENDERS)),
    "results": st.sampled_from(sorted(RESULTS)), "shape": st.sampled_from(["plain", "html-only", "alternative", "nested"]),
    "charset": st.sampled_from(CHARSETS), "cte": st.sampled_from(ENCODINGS),
    "code": st.from_regex(r"[1-9][0-9]{5}", fullmatch=True),
    "ucode": st.from_regex(r"[A-Z]{3}[0-9][A-Z][0-9]", fullmatch=True),
    "token": st.from_regex(r"[A-Za-z0-9]{24}", fullmatch=True),
    "before": noise, "after": noise, "subject_noise": noise,
    "recipients": st.lists(st.sampled_from(["aws-0001@example.com", "AWS-0001@example.com", "aws-0002@example.com",
                                            " aws-0003@example.com "]), min_size=1, max_size=4),
})


def run_pipeline(raw: bytes, recipients: list[str]) -> tuple[MemoryStore, list[InboundMail]]:
    store = MemoryStore()
    new = asyncio.run(ingest(store, lambda: NOW, parse_message(raw), recipients, INSPECTOR))
    return store, new


def channel_card(mail: InboundMail) -> dict:
    return cards.mail_card(mail, None) if mail.verdict == "verified" else quarantine_card(mail, None)


# --- the properties -------------------------------------------------------------------------------------------------
def test_generated_aws_and_hostile_mail_never_leaks_a_code_and_loses_nothing():
    sample: list[dict] = []
    seen = {"verified": 0, "sealed": 0, "quarantined": 0}

    @FAST
    @given(mails)
    def check(m):
        raw = build(m["kind"], SENDERS[m["sender"]], RESULTS[m["results"]], m["shape"], m["charset"], m["cte"],
                    m["code"], m["ucode"], m["token"], m["before"], m["after"], m["subject_noise"])
        store, new = run_pipeline(raw, m["recipients"])
        assert len(new) == len({r.strip().lower() for r in m["recipients"]})  # one record per recipient
        secrets = (m["code"], m["ucode"], m["token"])
        genuine = m["sender"] == "genuine" and m["results"] == "trusted-pass"
        for mail in new:
            assert (mail.verdict == "verified") == genuine
            card = json.dumps(channel_card(mail))
            assert len(card) < CARD_LIMIT
            for secret in secrets:
                assert secret not in card and secret not in mail.secret and secret not in mail.preview + mail.subject
            if mail.secret:
                assert genuine and rule_for(mail.kind).secret
                opened = BOX.open(mail.secret, secret_context(mail.key))  # a code, or the reset link holding the token
                assert opened in secrets or opened.endswith("token=" + m["token"])
                seen["sealed"] += 1
            seen["verified" if genuine else "quarantined"] += 1
            if len(sample) < 120 and random.Random(mail.key).random() < 0.2:
                sample.append(channel_card(mail))

    check()
    assert seen["verified"] and seen["sealed"] and seen["quarantined"]
    assert validate_all(sample)


def test_arbitrary_bytes_and_mutated_corpus_mail_never_break_the_pipeline():
    corpus = [p.read_bytes() for p in sorted(MAILS.glob("*.eml")) + sorted((MAILS / "trust").glob("*.eml"))]
    sample: list[dict] = []

    @FAST
    @given(st.one_of(st.binary(max_size=4000),
                     st.tuples(st.sampled_from(corpus), st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=8)),
                                                                 max_size=8)).map(_mutate)))
    def check(raw):
        store, new = run_pipeline(raw, ["aws-0001@example.com"])
        assert len(new) == 1
        card = channel_card(new[0])
        assert len(json.dumps(card)) < CARD_LIMIT
        # Bytes can put a corpus code anywhere ("+731904" reads as a phone number); where it still reads as a code
        # (after "code", the way AWS writes it) it must be hidden.
        assert not CORPUS_CODE_IN_CONTEXT.search("\n".join(cardcheck.texts(card)))
        if len(sample) < 80:
            sample.append(card)

    check()
    assert validate_all(sample)


CORPUS_CODE_IN_CONTEXT = re.compile(r"(?i)code\W{0,3}(482913|731904|558812|A7K2QZ|Z9K4QX)(?!\w)")


def _mutate(job: tuple[bytes, list[tuple[int, bytes]]]) -> bytes:
    raw, edits = job
    data = bytearray(raw)
    for at, chunk in edits:
        where = at % (len(data) + 1)
        data[where:where + len(chunk)] = chunk
    return bytes(data)


def validate_all(sample: list[dict]) -> bool:
    problems = [p for p in cardcheck.validate_cards(sample) if p] if sample else []
    assert not problems, problems[:3]
    return True


def test_a_ten_megabyte_mail_is_inspected_quickly_and_its_code_still_sealed():
    filler = ("AWS " * 20 + "\r\n") * (10 * 1024 * 1024 // 82)
    raw = (f"Authentication-Results: {PASS}\r\nFrom: Amazon Web Services <no-reply@signin.aws>\r\n"
           "Subject: AWS Notification - Email Verification\r\nMessage-ID: <big@fuzz>\r\n\r\n"
           f"Verification code: 613470\r\n{filler}").encode()
    assert len(raw) > 10 * 1024 * 1024
    started = time.perf_counter()
    _, (mail,) = run_pipeline(raw, ["aws-0001@example.com"])
    assert time.perf_counter() - started < 10
    assert BOX.open(mail.secret, secret_context(mail.key)) == "613470"
    assert "613470" not in json.dumps(channel_card(mail)) and CODE_HIDDEN in mail.preview
