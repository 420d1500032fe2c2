"""Shared steps of the protection tests: RootMail with a clock the test moves, AWS mail in, posts out."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest
from aiohttp import web

from app import INSPECTOR, MAIL_WAKE, create_app
from core.intake.ingest import ingest
from core.model import MailState
from mail.mime import parse_message
from scripts.demo_mail import build_message
from tests.cardcheck import validate_cards
from tests.cardwalk import text
from tests.fakes import teams
from tests.integration.conftest import Harness
from tests.integration.test_bot_commands import allocate

CODE = re.compile(r"Verification code: (\d{6})")


class Clock:
    """Real time, plus however far the test moved it on."""

    __slots__ = ("offset",)

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


CLOCK = web.AppKey("protection_test_clock", Clock)


@dataclass
class Mail:
    message: EmailMessage
    secret: str  # the code or link in it, which must never reach a channel

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


def aws_mail(kind: str, to: str) -> Mail:
    """A mail as AWS sends it, verified by the boundary the embedded default trusts."""
    message = build_message(kind, to)
    plain = message.get_body(("plain",)).get_content()
    found = CODE.search(plain) or re.search(r"(https://signin\.aws\.amazon\.com/\S+)", plain) \
        or re.search(r"Console:\n\n([A-Z0-9]{6})\n", plain)
    return Mail(message, found[1] if found else "")


async def deliver(harness: Harness, raw: bytes | EmailMessage, *recipients: str) -> None:
    """What a mail source does: the faithful parse and the app's inspector to ingest, then wake the forwarder."""
    data = raw.as_bytes() if isinstance(raw, EmailMessage) else raw
    app = harness.client.app
    await ingest(harness.store, app[CLOCK], parse_message(data), list(recipients), app[INSPECTOR])
    app[MAIL_WAKE].set()


async def settled(harness: Harness, state: MailState, count: int = 1, timeout: float = 10.0) -> None:
    async def poll() -> None:
        while await harness.store.count_mails(state.value) < count:
            await asyncio.sleep(0.02)
    await asyncio.wait_for(poll(), timeout)


async def owned_address(harness: Harness, where: teams.Where = teams.PLATFORM) -> str:
    await allocate(harness, where)
    return (await harness.store.list_by_owner(where.conversation_id, 10)).items[-1].address


async def posted_in(harness: Harness, conversation_id: str, before: int) -> dict[str, Any]:
    """The next card posted in that conversation after `before` activities were sent."""
    for _ in range(500):
        fresh = [s for s in harness.connector.sent[before:] if s.conversation_id == conversation_id]
        if fresh:
            return fresh[0].cards[0]
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing posted in {conversation_id}; sent to {[s.conversation_id for s in harness.connector.sent]}")


def everything_shown(harness: Harness) -> str:
    """Every card RootMail posted, answered or updated outside 1:1 chats with revealers, words and JSON alike."""
    sent = [c for s in harness.connector.sent if not s.conversation_id.startswith("a:1on1-") for c in s.cards]
    cards = sent + harness.answered + [c for u in harness.connector.updated for c in u.cards]
    return "\n".join(text(card) for card in cards) + "\n".join(str(card) for card in cards)


@pytest.fixture
async def start(aiohttp_client, connector, make_settings):
    """`await start(**env)`: RootMail on the fake Bot Connector, the admin conversation set, a movable clock."""
    started: list[Harness] = []

    async def run(clock: Clock | None = None, **env: str) -> Harness:
        clock = clock or Clock()
        settings = make_settings(**({"ROOTMAIL_ADMIN_CONVERSATION": teams.PERSONAL.conversation_id} | env))
        app = create_app(settings, clock=clock, identities_verified=True)
        app[CLOCK] = clock
        harness = Harness(await aiohttp_client(app), connector)
        started.append(harness)
        return harness

    yield run
    for harness in started:
        await harness.settle()
        cards = harness.every_card() + [c for u in harness.connector.updated for c in u.cards]
        problems = {i: e for i, e in enumerate(validate_cards(cards)) if e} if cards else {}
        assert not problems, f"the bot sent cards Teams would reject: {problems}"
