"""A Graph message's JSON as RootMail's ParsedMail, and the addresses it was delivered to."""
from __future__ import annotations

from datetime import datetime, timezone

from mail.graph.message import parsed_mail, recipient_candidates


def graph_message(**fields) -> dict:
    message = {
        "id": "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0AtfsZ", "internetMessageId": "<0100018c@email.amazonses.com>",
        "subject": "Your AWS account verification code", "receivedDateTime": "2026-11-21T08:00:03Z",
        "from": {"emailAddress": {"name": "Amazon Web Services", "address": "no-reply@signin.aws"}},
        "sender": {"emailAddress": {"name": "Amazon Web Services", "address": "no-reply@signin.aws"}},
        "toRecipients": [{"emailAddress": {"name": "aws-0001@example.com", "address": "AWS-0001@example.com"}}],
        "ccRecipients": [], "body": {"contentType": "text", "content": "Verification code:\r\n\r\n\r\n\r\n482913\r\n"},
        "internetMessageHeaders": [
            {"name": "Authentication-Results", "value": "spf=pass smtp.mailfrom=amazonses.com; dmarc=pass"},
            {"name": "From", "value": "Amazon Web Services <no-reply@signin.aws>"},
            {"name": "X-MS-Exchange-Organization-SCL", "value": "1"}],
        "webLink": "https://outlook.office365.com/owa/?ItemID=AAkALg&exvsurl=1",
    }
    return message | fields


def test_the_fields_the_pipeline_needs_are_taken_over():
    mail = parsed_mail(graph_message())

    assert mail.message_id == "<0100018c@email.amazonses.com>"
    assert mail.sender == "Amazon Web Services <no-reply@signin.aws>"
    assert mail.subject == "Your AWS account verification code"
    assert mail.date == datetime(2026, 11, 21, 8, 0, 3, tzinfo=timezone.utc)
    assert mail.text == "Verification code:\n\n482913"  # the faithful text: ingest redacts what it stores
    assert mail.headers == {"authentication-results": ["spf=pass smtp.mailfrom=amazonses.com; dmarc=pass"],
                            "from": ["Amazon Web Services <no-reply@signin.aws>"]}
    assert mail.defects == ()


def test_an_html_body_is_turned_into_text():
    mail = parsed_mail(graph_message(body={"contentType": "html",
                                           "content": "<html><body><p>Hello&nbsp;<b>there</b></p><script>x()</script>"
                                                      "</body></html>"}))
    assert mail.text == "Hello there"


def test_a_message_without_message_id_still_dedupes_by_its_immutable_id():
    first = parsed_mail(graph_message(internetMessageId=None))
    again = parsed_mail(graph_message(internetMessageId=""))
    other = parsed_mail(graph_message(internetMessageId=None, id="AAkALgOther"))

    assert first.message_id == again.message_id != other.message_id
    assert first.message_id.endswith("@rootmail.invalid>") and "missing Message-ID" in first.defects


def test_hostile_values_are_made_one_line_and_the_sender_cannot_fake_brackets():
    mail = parsed_mail(graph_message(
        subject="Urgent\r\nBcc: victim@example.com\u202e", from_={},
        **{"from": {"emailAddress": {"name": 'Evil <admin@corp.example> "x"', "address": "evil@attacker.example"}}}))
    assert mail.subject == "Urgent Bcc: victim@example.com"
    assert mail.sender == "Evil admin@corp.example x <evil@attacker.example>"


def test_missing_sender_and_time_are_defects_not_errors():
    mail = parsed_mail({"id": "x", "internetMessageId": "<a@b>"})
    assert mail.sender == "" and mail.date is None and mail.text == ""
    assert set(mail.defects) == {"missing From", "unreadable receivedDateTime"}


def test_recipients_come_from_to_and_cc_first_then_forwarding_headers():
    message = graph_message(
        ccRecipients=[{"emailAddress": {"name": "x", "address": "aws-0002@example.com"}}],
        internetMessageHeaders=[
            {"name": "Received", "value": "from mx.example.net by EX1.outlook.com for <aws-0003@example.com>; Sat"},
            {"name": "X-Original-To", "value": "aws-0004@example.com"},
            {"name": "Delivered-To", "value": "Ops <aws-0001@example.com>"},
            {"name": "To", "value": "someone-else@example.org"}])

    assert recipient_candidates(message) == ["aws-0001@example.com", "aws-0002@example.com",  # To, Cc
                                             "aws-0003@example.com", "aws-0004@example.com"]  # headers, in order


def test_bcc_mail_forwarded_by_exchange_is_found_through_its_delivery_headers():
    message = graph_message(toRecipients=[{"emailAddress": {"address": "undisclosed-recipients:;"}}],
                            internetMessageHeaders=[{"name": "X-MS-Exchange-Organization-OriginalEnvelopeRecipients",
                                                     "value": "aws-0009@example.com"}])
    assert recipient_candidates(message) == ["aws-0009@example.com"]


def test_garbage_in_recipient_fields_is_skipped():
    message = graph_message(toRecipients=[None, {"emailAddress": None}, {"emailAddress": {"address": "not an address"}}],
                            internetMessageHeaders=[{"name": "Received", "value": "for <<<>>>;"}])
    assert recipient_candidates(message) == []
