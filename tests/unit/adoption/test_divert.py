"""The forwarder keeps a code an adoption waits for out of every channel, and Reveal refuses it."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from core.addresses.access import Access, AccessPolicy
from core.delivery.forwarding import Forwarder
from core.model import InboundMail, MailState, Owner, Person
from core.intake.reveal import RevealCards, Revealer
from storage.sqlite import open_sqlite
from tests.contract.conftest import T0, TEAM, address, mail


@dataclass
class RecordingPoster:
    posted: list = field(default_factory=list)

    async def post(self, owner: Owner, card: dict, summary: str, urgent: bool = False) -> str:
        self.posted.append((owner.conversation_id, summary))
        return f"activity-{len(self.posted)}"


def update_code(key: str, to: str = "aws+billing@example.com") -> InboundMail:
    return replace(mail(key, to=to, subject="Amazon Web Services - Verify your new email address"),
                   kind="email_update_code", severity="critical", verdict="verified", secret="sealed-code",
                   secret_kind="code", secret_expires_at=T0.replace(year=2100))


@pytest.fixture
async def store(tmp_path):
    async with open_sqlite(tmp_path / "divert.db") as sqlite:
        await sqlite.create_address(address("aws+billing@example.com"))
        await sqlite.save_conversation(TEAM)
        yield sqlite


async def test_a_diverted_code_is_consumed_and_posted_nowhere_while_other_mail_still_reaches_the_channel(store):
    poster = RecordingPoster()
    forwarder = Forwarder(store, poster, lambda: T0, lambda m, r: {"type": "AdaptiveCard"}, "test-1")
    asked: list[str] = []

    async def divert(candidate: InboundMail) -> bool:
        asked.append(candidate.key)
        return candidate.kind == "email_update_code"

    forwarder.divert = divert
    await store.record_mail(update_code("code-1"))
    await store.record_mail(mail("billing-1", subject="Your invoice"))

    await forwarder.run_once()

    code, billing = await store.get_mail("code-1"), await store.get_mail("billing-1")
    assert code.state is MailState.CONSUMED and code.activity_id == "" and code.posted_to == ""
    assert billing.state is MailState.FORWARDED
    assert poster.posted == [(TEAM.conversation_id, "Your invoice")]
    assert sorted(asked) == ["billing-1", "code-1"]


async def test_unverified_mail_is_quarantined_before_divert_is_asked(store):
    poster = RecordingPoster()
    forwarder = Forwarder(store, poster, lambda: T0, lambda m, r: {"type": "AdaptiveCard"}, "test-1")
    asked: list[str] = []

    async def divert(candidate: InboundMail) -> bool:
        asked.append(candidate.key)
        return True

    forwarder.divert = divert
    await store.record_mail(replace(update_code("forged"), verdict="unverified", secret=""))

    await forwarder.run_once()

    assert (await store.get_mail("forged")).state is MailState.QUARANTINED
    assert asked == []


class OpenBox:
    def seal(self, secret: str, context: str) -> str:
        return secret

    def open(self, sealed: str, context: str) -> str:
        return "A7K2QZ"


class NoMessenger:
    sent: list = []

    async def send_private(self, person, where, card, summary) -> None:
        self.sent.append(card)

    async def update(self, owner, activity_id, card, summary) -> None:
        pass


async def test_reveal_refuses_a_consumed_code_even_to_an_admin(store):
    await store.record_mail(replace(update_code("code-2"), state=MailState.CONSUMED))
    admin = Person("29:alice", "Alice", "aad-alice")
    messenger = NoMessenger()
    revealer = Revealer(store, lambda: T0, OpenBox(), Access(AccessPolicy(admins=frozenset({"aad-alice"}))),
                        None, messenger, RevealCards(lambda *a: {}, lambda *a: {}))

    outcome = await revealer.reveal("code-2", admin, TEAM)

    assert outcome.status == "nothing" and "used this code itself" in outcome.message
    assert messenger.sent == []
