"""parse_message never raises and always gives a usable, single-line-header ParsedMail, whatever the bytes."""
from __future__ import annotations

import base64
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.intake.parsed import ParsedMail
from mail.mime import KEPT_HEADERS, MAX_TEXT_CHARS, one_line, parse_message
from tests.paths import MAILS

CORPUS = sorted(p.read_bytes() for p in MAILS.glob("*.eml"))
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_usable(mail: ParsedMail, raw: bytes, max_text_chars: int = MAX_TEXT_CHARS) -> None:
    assert isinstance(mail, ParsedMail)
    assert mail.size == len(raw)
    assert mail.message_id
    assert len(mail.text) <= max_text_chars
    assert mail.date is None or mail.date.utcoffset() is not None
    for value in [mail.message_id, mail.sender, mail.subject, *sum(mail.headers.values(), [])]:
        assert isinstance(value, str) and value == value.strip()
        assert not any(ch in value for ch in "\r\n\x00\x0b\x0c\x85\u2028\u2029\u202e")
    assert set(mail.headers) <= KEPT_HEADERS
    assert all(isinstance(d, str) for d in mail.defects)
    mail.text.encode("utf-8")  # no lone surrogates left from undecodable bytes


def mail_with_attachment(attachment_bytes: int, text: str = "Your invoice is attached.") -> bytes:
    blob = base64.encodebytes(b"\x00\x01PDF" * (attachment_bytes // 5))
    return (b"From: Amazon Web Services <no-reply-aws@amazon.com>\r\nSubject: Big invoice\r\n"
            b"Message-ID: <big@example.com>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
            + text.encode() + b"\r\n--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + blob + b"\r\n--B--\r\n")


def test_ten_megabyte_mail_parses_quickly_and_keeps_its_text():
    raw = mail_with_attachment(7_500_000)
    assert len(raw) > 10_000_000

    started = time.perf_counter()
    mail = parse_message(raw)

    assert time.perf_counter() - started < 2.0
    assert_usable(mail, raw)
    assert (mail.subject, mail.text, mail.message_id) == ("Big invoice", "Your invoice is attached.", "<big@example.com>")
    assert any("truncated" in d for d in mail.defects)


def test_ten_megabyte_text_body_is_capped():
    raw = b"Subject: long\r\n\r\n" + b"All work and no play. " * 500_000

    mail = parse_message(raw, max_text_chars=5_000)

    assert_usable(mail, raw, 5_000)
    assert len(mail.text) == 5_000 and mail.text.startswith("All work and no play.")


def test_huge_html_body_is_capped():
    raw = b"Subject: html\r\nContent-Type: text/html\r\n\r\n" + b"<p>Hello <b>there</b></p>" * 400_000

    mail = parse_message(raw)

    assert_usable(mail, raw)
    assert mail.text.startswith("Hello there\n\nHello there") and len(mail.text) == MAX_TEXT_CHARS


def test_html_tag_soup_is_not_quadratic():
    # html.parser on 3.11 rescans the input for every "<" that never closes: this took minutes unguarded
    for soup in (b"<a" * 300_000, b"<!" * 300_000, b"</a" * 200_000, b"<![CDATA[" * 60_000, b"<?" * 300_000):
        raw = b"Subject: soup\r\nContent-Type: text/html\r\n\r\n<p>Visible</p>" + soup

        started = time.perf_counter()
        mail = parse_message(raw)

        assert time.perf_counter() - started < 3.0
        assert_usable(mail, raw)
        assert mail.text.startswith("Visible")


def test_absurdly_nested_multipart_does_not_raise():
    depth = 3_000
    opening = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth))
    raw = b"Subject: deep\r\n" + opening + b"Content-Type: text/plain\r\n\r\ndeep text\r\n"

    mail = parse_message(raw)

    assert_usable(mail, raw)
    assert mail.subject == "deep"
    assert "body not parsed: RecursionError" in mail.defects


def test_non_text_codec_names_fall_back_to_utf8():
    for charset in ("zlib", "rot13", "base64", "idna", "x-nobody-knows"):
        raw = f"Subject: c\r\nContent-Type: text/plain; charset={charset}\r\n\r\nS\u00e4tze".encode()

        mail = parse_message(raw)

        assert mail.text == "S\u00e4tze", charset


def test_declared_ascii_with_utf8_bytes_is_read_as_utf8():
    raw = "Subject: a\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nM\u00fcnchen".encode()

    assert parse_message(raw).text == "M\u00fcnchen"


def test_empty_plain_part_falls_back_to_the_html_part():
    raw = (b"Subject: a\r\nContent-Type: multipart/alternative; boundary=A\r\n\r\n--A\r\nContent-Type: text/plain\r\n"
           b"\r\n \r\n--A\r\nContent-Type: text/html\r\n\r\n<p>Only <i>here</i></p>\r\n--A--\r\n")

    assert parse_message(raw).text == "Only here"


def test_control_and_bidi_characters_are_removed_from_headers_and_text():
    raw = ("Subject: Invoice \u202egnp.exe\u202c paid\x07\r\nFrom: AWS\x00 <a@example.com>\r\n\r\n"
           "line one\x1b[31m\r\nline two\u2028line three\x00").encode()

    mail = parse_message(raw)

    assert mail.subject == "Invoice gnp.exe paid"
    assert mail.sender == "AWS <a@example.com>"
    assert mail.text == "line one[31m\nline two\nline three"


def test_format_flowed_soft_breaks_are_joined():
    raw = (b"Subject: f\r\nContent-Type: text/plain; format=flowed\r\n\r\n"
           b"https://example.com/a-very-long- \r\npath\r\n>  quoted\r\n-- \r\nsig")

    assert parse_message(raw).text == "https://example.com/a-very-long- path\n>  quoted\n--\nsig"


def test_odd_inputs_do_not_raise():
    for raw in (b"", b"\r\n\r\n", b"\xff" * 100, b"From:\r\n", b":\r\n\r\n", b"From: <>\r\nTo: ,,,\r\n\r\n"):
        assert_usable(parse_message(raw), raw)
    assert parse_message("Subject: text input\n\nbody").subject == "text input"  # type: ignore[arg-type]
    assert parse_message(bytearray(b"Subject: array\n\n")).subject == "array"  # type: ignore[arg-type]
    assert parse_message(None).message_id  # type: ignore[arg-type]


@FUZZ
@given(st.binary(max_size=4_000))
def test_random_bytes_never_raise(raw):
    assert_usable(parse_message(raw), raw)


@FUZZ
@given(st.sampled_from(CORPUS), st.lists(st.tuples(st.floats(0, 1), st.sampled_from("dir"), st.binary(max_size=8)),
                                         max_size=12))
def test_mutated_corpus_mails_never_raise(original, edits):
    raw = bytearray(original)
    for where, how, data in edits:
        at = int(where * len(raw))
        if how == "d":
            del raw[at:at + len(data) + 1]
        elif how == "i":
            raw[at:at] = data
        else:
            raw[at:at + len(data)] = data
    raw = bytes(raw)

    assert_usable(parse_message(raw), raw)


@FUZZ
@given(st.text(max_size=200), st.text(max_size=200), st.text(max_size=500),
       st.sampled_from(["utf-8", "latin-1", "iso-2022-jp", "x-unknown", ""]),
       st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode"]))
def test_hostile_header_and_body_text_never_raises(subject, sender, body, charset, encoding):
    raw = (f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: <{subject[:20]}@x>\r\n"
           f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{body}"
           ).encode("utf-8", "surrogatepass")

    assert_usable(parse_message(raw), raw)


@FUZZ
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_encoded_word_subjects_decode_to_one_line(text):
    encoded = base64.b64encode(text.encode()).decode()
    raw = f"Subject: =?utf-8?B?{encoded}?=\r\n\r\n".encode()

    mail = parse_message(raw)

    assert_usable(mail, raw)
    assert mail.subject == one_line(text)
