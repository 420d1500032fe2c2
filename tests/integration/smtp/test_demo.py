"""`python -m scripts.demo_mail` delivers every kind of AWS-style mail to the real inbox; the stored preview is safe."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone

import pytest

from core.intake.redact import CODE_HIDDEN, LINK_HIDDEN
from mail.smtp_inbox import SmtpInbox
from scripts.demo_mail import KINDS, build_message, main, send
from storage.sqlite import open_sqlite

TO = "aws+prod-payments-7f3k@rootmail.example"
NOW = datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc)

# kind -> (pattern of what must not be stored in clear, text that must survive redaction)
SECRETS = {
    "verification": (r"Verification code: (\d{6})", f"Verification code: {CODE_HIDDEN}"),
    "reset": (r"(https://signin\.aws\.amazon\.com/\S+)", "AWS account 123456789012"),
    "email-update": (r"Console:\n\n([A-Z0-9]{6})\n", f"Console:\n\n{CODE_HIDDEN}\n"),
    "billing": (None, "Account ID: 123456789012"),
    "health": (None, "the us-east-1 region"),
}


@pytest.fixture
async def inbox(tmp_path):
    async with open_sqlite(tmp_path / "db") as store:
        async with SmtpInbox(store, lambda: NOW) as inbox:
            yield inbox, store


def test_every_kind_has_an_expectation():
    assert set(KINDS) == set(SECRETS)


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_demo_mail_is_stored_without_secrets_in_clear(inbox, kind):
    server, store = inbox
    msg = build_message(kind, TO, now=NOW)
    plain = msg.get_body(("plain",)).get_content()
    secret_pattern, kept = SECRETS[kind]

    await asyncio.to_thread(send, msg, "127.0.0.1", server.port)

    [stored] = await store.recent_mails(TO, 5)
    assert stored.message_id == msg["Message-ID"] and stored.subject == msg["Subject"]
    assert stored.sender == msg["From"]
    assert kept in stored.preview
    if secret_pattern:
        secret = re.search(secret_pattern, plain)[1]
        assert secret not in stored.preview
        assert CODE_HIDDEN in stored.preview or LINK_HIDDEN in stored.preview


async def test_command_line_sends_and_prints_what_it_sent(inbox, capsys):
    server, store = inbox

    status = await asyncio.to_thread(main, ["--to", TO, "--kind", "billing", "--port", str(server.port)])

    assert status == 0
    printed = capsys.readouterr().out
    assert f"To: {TO}" in printed and "Subject: Amazon Web Services Billing Statement Available" in printed
    assert await store.count_mails() == 1


async def test_command_line_explains_when_nothing_listens(tmp_path, capsys):
    async with open_sqlite(tmp_path / "db") as store:
        inbox = SmtpInbox(store, lambda: NOW)
        await inbox.start()
        port = inbox.port
        await inbox.stop()

    status = await asyncio.to_thread(main, ["--to", TO, "--port", str(port)])

    assert status == 1
    assert "Is RootMail running" in capsys.readouterr().err
