"""Reveal of a recovery's reset link: only the approved requester, only within the window; a gate never lets anyone
through that the usual rules refuse, and mail outside a recovery is left to those rules."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest

from core.addresses.access import Access, AccessPolicy
from core.intake.reveal import RevealCards, Revealer
from core.model import InboundMail, Person
from core.root_access.book import Grant, RootBook
from core.root_access.model import Actor
from core.root_access.recovery import RecoveryGate
from storage.sqlite import open_sqlite
from tests.contract.conftest import T0, TEAM, address, mail

BOB = Person("29:bob", "Bob", "aad-bob")
ADMIN = Person("29:alice", "Alice", "aad-alice")
DAVE = Person("29:dave", "Dave", "aad-dave")
TO = "aws+billing@example.com"


def reset_mail(key: str, at=T0 + timedelta(minutes=5), kind: str = "password_reset") -> InboundMail:
    return replace(mail(key, to=TO, at=at, subject="Amazon Web Services Password Assistance"), kind=kind,
                   severity="critical", verdict="verified", secret="sealed-link", secret_kind="link",
                   secret_expires_at=T0 + timedelta(hours=2))


class OpenBox:
    def seal(self, secret: str, context: str) -> str:
        return secret

    def open(self, sealed: str, context: str) -> str:
        return "https://signin.aws.amazon.com/resetpassword?token=t"


@dataclass
class Members:
    ids: set = field(default_factory=lambda: {"29:bob", "29:dave"})

    async def is_member(self, owner, person) -> bool:
        return person.id in self.ids


@dataclass
class Messenger:
    sent: list = field(default_factory=list)

    async def send_private(self, person, where, card, summary) -> None:
        self.sent.append(person.id)

    async def update(self, owner, activity_id, card, summary) -> None:
        pass


@pytest.fixture
async def store(tmp_path):
    async with open_sqlite(tmp_path / "gate.db") as sqlite:
        await sqlite.create_address(address(TO))
        await sqlite.save_conversation(TEAM)
        yield sqlite


def revealer(store, now, gated: bool, members: Members | None = None) -> tuple[Revealer, Messenger]:
    messenger = Messenger()
    gates = (RecoveryGate(RootBook(store)),) if gated else ()
    return Revealer(store, lambda: now, OpenBox(), Access(AccessPolicy(admins=frozenset({"aad-alice"}))),
                    members or Members(), messenger, RevealCards(lambda *a: {}, lambda *a: {}), gates), messenger


async def grant(store, minutes: int = 30) -> Grant:
    opened = Grant("task-1", TO, Actor("29:bob", "Bob", "aad-bob"), T0, T0 + timedelta(minutes=minutes))
    await RootBook(store).open_grant(opened)
    return opened


async def test_within_the_window_only_the_requester_gets_the_link_not_even_an_admin(store):
    await grant(store)
    await store.record_mail(reset_mail("reset-1"))
    reveal, messenger = revealer(store, T0 + timedelta(minutes=10), gated=True)

    teammate = await reveal.reveal("reset-1", DAVE, TEAM)
    admin = await reveal.reveal("reset-1", ADMIN, TEAM)
    requester = await reveal.reveal("reset-1", BOB, TEAM)

    assert teammate.status == admin.status == "refused" and "only that person may reveal it" in admin.message
    assert requester.sent and messenger.sent == ["29:bob"]


async def test_after_the_window_the_requester_is_refused_too(store):
    await grant(store, minutes=30)
    await store.record_mail(reset_mail("reset-2"))
    reveal, messenger = revealer(store, T0 + timedelta(minutes=31), gated=True)

    outcome = await reveal.reveal("reset-2", BOB, TEAM)

    assert outcome.status == "refused" and "window has closed" in outcome.message and messenger.sent == []


async def test_the_gate_never_lets_through_whom_the_usual_rules_refuse(store):
    await grant(store)
    await store.record_mail(reset_mail("reset-3"))
    reveal, messenger = revealer(store, T0 + timedelta(minutes=10), gated=True, members=Members({"29:dave"}))

    outcome = await reveal.reveal("reset-3", BOB, TEAM)  # the requester left the owning team meanwhile

    assert outcome.status == "refused" and "Only members of the team" in outcome.message and messenger.sent == []


async def test_mail_outside_a_recovery_follows_the_usual_rules(store):
    await grant(store)
    await store.record_mail(reset_mail("before", at=T0 - timedelta(minutes=1)))  # before the window opened
    await store.record_mail(reset_mail("billing", kind="billing"))  # not a reset link or sign-in code
    reveal, messenger = revealer(store, T0 + timedelta(minutes=10), gated=True)

    assert (await reveal.reveal("before", DAVE, TEAM)).sent
    assert (await reveal.reveal("billing", ADMIN, TEAM)).sent
    assert messenger.sent == ["29:dave", "29:alice"]


async def test_the_sign_in_code_of_the_recovery_is_bound_like_the_link(store):
    await grant(store)
    await store.record_mail(reset_mail("otp", kind="signin_code"))
    reveal, _ = revealer(store, T0 + timedelta(minutes=10), gated=True)

    assert (await reveal.reveal("otp", DAVE, TEAM)).status == "refused"
    assert (await reveal.reveal("otp", BOB, TEAM)).sent


async def test_without_the_gate_the_usual_rules_are_unchanged(store):
    await grant(store)
    await store.record_mail(reset_mail("reset-4"))
    reveal, messenger = revealer(store, T0 + timedelta(minutes=10), gated=False)

    assert (await reveal.reveal("reset-4", ADMIN, TEAM)).sent and messenger.sent == ["29:alice"]
