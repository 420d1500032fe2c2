"""RootMail running in-process on a random port, talking to the fake Bot Connector."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from app import FORWARDER, SERVICES, STORE, create_app
from tests.cardcheck import validate_cards
from tests.fakes import teams
from tests.fakes.connector import FakeConnector


@dataclass
class Pressed:
    """What pressing a button did: the card that replaced it for the presser, or the words they were told instead,
    and the cards RootMail posted beside it (replies in its thread)."""

    card: dict[str, Any] | None
    message: str
    replies: list[dict[str, Any]]


@dataclass
class Harness:
    client: TestClient
    connector: FakeConnector
    answered: list = field(default_factory=list)  # cards returned to Action.Execute

    def every_card(self) -> list[dict[str, Any]]:
        return [card for sent in self.connector.sent for card in sent.cards] + self.answered

    @property
    def store(self):
        return self.client.app[STORE]

    async def settle(self) -> None:
        """Until RootMail's edits of the cards it posted are done (they run after the turn that caused them)."""
        updates = getattr(self.client.app[SERVICES], "updates", None)
        if updates is not None:
            await updates.idle()

    @property
    def forwarder(self):
        return self.client.app[FORWARDER]

    async def send(self, activity: dict[str, Any]):
        """Post an activity to RootMail as Teams does: with the Bot Framework's token for it."""
        return await self.client.post("/api/messages", json=activity, headers=self.connector.headers_for(activity))

    async def say(self, text: str, where=teams.PLATFORM, user=teams.ALICE) -> dict[str, Any]:
        """Send a message; return the card the bot replied with."""
        before = len(self.connector.sent)
        response = await self.send(teams.message(text, where, self.connector.url, user))
        assert response.status in (200, 201), await response.text()
        count = before + 1
        while True:  # typing indicators may come first
            sent = await self.connector.wait_for(count)
            answers = [s for s in sent[before:] if s.cards]
            if answers:
                return answers[0].cards[0]
            count = len(sent) + 1

    async def press(self, verb: str, data: dict[str, Any], where=teams.PLATFORM, user=teams.ALICE,
                    on: str = "activity-1", trigger: str = "manual") -> Pressed:
        """Press an Action.Execute button (on the posted card `on`); whatever the answer is."""
        before = len(self.connector.sent)
        response = await self.send(teams.execute(verb, data, where, self.connector.url, user, on, trigger))
        assert response.status == 200, await response.text()
        body = await response.json()
        assert body["statusCode"] == 200, body
        replies = [card for sent in self.connector.sent[before:] for card in sent.cards]
        if body["type"] == "application/vnd.microsoft.activity.message":
            return Pressed(None, body["value"], replies)
        assert body["type"] == "application/vnd.microsoft.card.adaptive", body
        self.answered.append(body["value"])
        return Pressed(body["value"], "", replies)

    async def execute(self, verb: str, data: dict[str, Any], where=teams.PLATFORM, user=teams.ALICE) -> dict[str, Any]:
        """Press an Action.Execute button; return the card that replaces it."""
        response = await self.send(teams.execute(verb, data, where, self.connector.url, user))
        assert response.status == 200, await response.text()
        body = await response.json()
        assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
        self.answered.append(body["value"])
        return body["value"]


# the allocation limits (core.addresses.limits) switched off, for tests of something else that allocate many
# addresses as one person in one channel; tests/security/test_pool_draining.py is about the limits
UNLIMITED = {f"ROOTMAIL_LIMIT_{name}": "0" for name in ("PERSON_HOURLY", "PERSON_OPEN", "CONVERSATION_HOURLY",
                                                         "CONVERSATION_OPEN")}


async def _serving(aiohttp_client, connector, settings):
    harness = Harness(await aiohttp_client(create_app(settings, identities_verified=True)), connector)
    yield harness
    await harness.settle()
    cards = harness.every_card()
    problems = {i: errors for i, errors in enumerate(validate_cards(cards)) if errors} if cards else {}
    assert not problems, f"the bot sent cards Teams would reject: {problems}"


@pytest.fixture
async def rootmail(aiohttp_client, connector, make_settings):
    async for harness in _serving(aiohttp_client, connector,
                                  make_settings(ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id)):
        yield harness


@pytest.fixture
async def unlimited(aiohttp_client, connector, make_settings):
    """`rootmail` without the allocation limits."""
    async for harness in _serving(aiohttp_client, connector, make_settings(
            ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id, **UNLIMITED)):
        yield harness

