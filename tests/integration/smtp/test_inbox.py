"""A real smtplib client against the real SMTP inbox on a random loopback port, recording into real SQLite."""
from __future__ import annotations

import asyncio
import smtplib
from datetime import datetime, timezone

import pytest

from core.intake.ingest import dedupe_key
from core.model import InboundMail, MailState
from core.intake.redact import CODE_HIDDEN, LINK_HIDDEN
from mail.smtp_inbox import InboxNotReady, SmtpInbox
from storage.sqlite import open_sqlite
from tests.paths import MAILS

NOW = datetime(2024, 3, 5, 10, 0, 5, tzinfo=timezone.utc)
ALICE, BOB = "aws+prod-payments-7f3k@rootmail.example", "aws+sandbox-42@rootmail.example"
AWS = "no-reply@signin.aws"


def clock() -> datetime:
    return NOW


@pytest.fixture
async def store(tmp_path):
    async with open_sqlite(tmp_path / "db") as store:
        yield store


class Woken:
    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        self.event.set()


class FailingStore:
    """The real store, except that record_mail fails from the `fail_from`-th call on."""

    def __init__(self, store, fail_from: int = 1):
        self._store, self.fail_from, self.calls = store, fail_from, 0

    async def record_mail(self, mail: InboundMail) -> bool:
        self.calls += 1
        if self.calls >= self.fail_from:
            raise OSError("disk I/O error")
        return await self._store.record_mail(mail)

    def __getattr__(self, name: str):
        return getattr(self._store, name)


async def send(port: int, raw: bytes, to: list[str]) -> dict:
    """smtplib.sendmail in a thread; returns the refused recipients, raises on a refused message."""
    def blocking() -> dict:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            return client.sendmail(AWS, to, raw)
    return await asyncio.to_thread(blocking)


async def converse(port: int, raw: bytes, to: list[str]) -> tuple[int, bytes]:
    """MAIL/RCPT/DATA without a SIZE announcement, so the size check happens at the end of DATA."""
    def blocking() -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo()
            assert client.mail(AWS)[0] == 250
            for address in to:
                assert client.rcpt(address)[0] == 250
            return client.data(raw)
    return await asyncio.to_thread(blocking)


def corpus(name: str) -> bytes:
    """A corpus mail with CRLF line ends, as every SMTP client sends them (smtplib sends bytes as they are)."""
    return (MAILS / name).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def verification_mail() -> bytes:
    return corpus("aws_verification_code.eml")


async def test_mail_to_two_recipients_is_recorded_twice_before_250(store):
    woken = Woken()
    async with SmtpInbox(store, clock, woken) as inbox:
        refused = await send(inbox.port, verification_mail(), [ALICE, BOB])

        assert refused == {}
        assert await store.count_mails() == 2
        for address in (ALICE, BOB):
            mail = await store.get_mail(dedupe_key(
                "<0100018e1c2d3e4f-5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d-000000@email.amazonses.com>", address))
            assert mail is not None and mail.state is MailState.RECEIVED
            assert (mail.address, mail.sender, mail.subject) == (
                address, "Amazon Web Services <no-reply@signin.aws>", "AWS Notification - Email Verification")
            assert mail.received_at == mail.next_attempt_at == NOW
        assert woken.event.is_set() and woken.calls == 1


async def test_the_same_message_delivered_twice_is_recorded_once(store):
    woken = Woken()
    async with SmtpInbox(store, clock, woken) as inbox:
        await send(inbox.port, verification_mail(), [ALICE])
        woken.event.clear()
        await send(inbox.port, verification_mail(), [ALICE, ALICE.upper()])

        assert await store.count_mails() == 1
        assert woken.calls == 1 and not woken.event.is_set()


async def test_mail_without_message_id_still_dedupes(store):
    raw = corpus("missing_message_id.eml")
    async with SmtpInbox(store, clock) as inbox:
        await send(inbox.port, raw, [BOB])
        await send(inbox.port, raw, [BOB])

        assert await store.count_mails() == 1


async def test_stored_preview_and_subject_have_no_code_or_link_in_clear(store):
    async with SmtpInbox(store, clock) as inbox:
        await send(inbox.port, verification_mail(), [ALICE])
        await send(inbox.port, corpus("aws_password_reset.eml"), [BOB])

        code_mail, reset_mail = (await store.recent_mails(ALICE, 1))[0], (await store.recent_mails(BOB, 1))[0]
        assert "482913" not in code_mail.preview and f"Verification code: {CODE_HIDDEN}" in code_mail.preview
        assert "resetpassword" not in reset_mail.preview and "Vx3kQ9mZ" not in reset_mail.preview
        assert LINK_HIDDEN in reset_mail.preview and "AWS account 210987654321" in reset_mail.preview


async def test_message_over_the_size_limit_gets_552_and_nothing_is_stored(store):
    big = verification_mail() + (b"x" * 76 + b"\r\n") * 1000
    async with SmtpInbox(store, clock, max_bytes=50_000) as inbox:
        with pytest.raises(smtplib.SMTPSenderRefused) as announced:  # smtplib announces SIZE at MAIL FROM
            await send(inbox.port, big, [ALICE])
        code, _ = await converse(inbox.port, big, [ALICE])  # a client that does not announce it

        assert announced.value.smtp_code == 552 and code == 552
        assert await store.count_mails() == 0


async def test_a_failing_store_gives_451_and_nothing_is_stored(store):
    async with SmtpInbox(FailingStore(store), clock) as inbox:
        code, reply = await converse(inbox.port, verification_mail(), [ALICE, BOB])

        assert code == 451 and b"try again later" in reply
        assert await store.count_mails() == 0


async def test_a_store_failing_midway_converges_when_the_sender_retries(store):
    flaky = FailingStore(store, fail_from=2)
    async with SmtpInbox(flaky, clock) as inbox:
        first, _ = await converse(inbox.port, verification_mail(), [ALICE, BOB])
        flaky.fail_from = 10**9
        retry, _ = await converse(inbox.port, verification_mail(), [ALICE, BOB])

        assert (first, retry) == (451, 250)
        assert [m.address for m in await store.recent_mails(ALICE, 5) + await store.recent_mails(BOB, 5)] == [ALICE, BOB]


async def test_a_hanging_store_times_out_with_451(store):
    class HangingStore:
        async def record_mail(self, mail):
            await asyncio.Event().wait()

    async with SmtpInbox(HangingStore(), clock, store_timeout=0.2) as inbox:
        code, _ = await converse(inbox.port, verification_mail(), [ALICE])

        assert code == 451


async def test_only_configured_domains_are_accepted(store):
    async with SmtpInbox(store, clock, domains=("RootMail.example",)) as inbox:
        refused = await send(inbox.port, verification_mail(), [ALICE, "someone@elsewhere.example"])
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            await send(inbox.port, verification_mail(), ["someone@elsewhere.example"])

        assert refused["someone@elsewhere.example"][0] == 550
        assert [m.address for m in await store.recent_mails(ALICE, 5)] == [ALICE]
        assert await store.count_mails() == 1


async def test_a_failing_wake_callback_does_not_lose_the_mail(store):
    def broken() -> None:
        raise RuntimeError("forwarder gone")

    async with SmtpInbox(store, clock, broken) as inbox:
        assert await send(inbox.port, verification_mail(), [ALICE]) == {}
        assert await store.count_mails() == 1


async def test_garbage_message_is_still_accepted_and_recorded(store):
    async with SmtpInbox(store, clock) as inbox:
        code, _ = await converse(inbox.port, b"\xff\xfe not a mail at all \x00\r\n", [ALICE])

        assert code == 250
        mail = (await store.recent_mails(ALICE, 1))[0]
        assert mail.message_id.endswith("@rootmail.invalid>") and mail.sender == ""


async def test_ping_start_stop_and_port(store):
    inbox = SmtpInbox(store, clock)
    with pytest.raises(InboxNotReady):
        await inbox.ping()

    await inbox.start()
    port = inbox.port
    assert port > 0
    await inbox.ping()
    await inbox.stop()

    with pytest.raises(InboxNotReady):
        await inbox.ping()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    await inbox.stop()  # stopping twice is harmless


async def test_stop_closes_idle_sessions_that_are_still_open(store):
    async with SmtpInbox(store, clock) as inbox:
        reader, writer = await asyncio.open_connection("127.0.0.1", inbox.port)
        assert (await reader.readline()).startswith(b"220")
    assert await asyncio.wait_for(reader.read(), 2) == b""  # the server closed the connection
    writer.close()
