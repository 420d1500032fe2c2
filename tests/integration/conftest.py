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

    async def say(self, text: str, where=teams.PLATFORM, user=teams.ALICE) -> dict[str, Any]:
        """Send a message; return the card the bot replied with."""
        before = len(self.connector.sent)
        response = await self.client.post("/api/messages", json=teams.message(text, where, self.connector.url, user))
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
        response = await self.client.post("/api/messages", json=teams.execute(verb, data, where, self.connector.url,
                                                                               user, on, trigger))
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
        response = await self.client.post("/api/messages",
                                          json=teams.execute(verb, data, where, self.connector.url, user))
        assert response.status == 200, await response.text()
        body = await response.json()
        assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
        self.answered.append(body["value"])
        return body["value"]


@pytest.fixture
async def rootmail(aiohttp_client, connector, make_settings):
    app = create_app(make_settings(ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id))
    harness = Harness(await aiohttp_client(app), connector)
    yield harness
    await harness.settle()
    cards = harness.every_card()
    problems = {i: errors for i, errors in enumerate(validate_cards(cards)) if errors} if cards else {}
    assert not problems, f"the bot sent cards Teams would reject: {problems}"

