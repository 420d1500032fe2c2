"""Reveal when the 1:1 chat cannot be opened (issue 14, item 8): Teams opens a bot's chat with a person only when the
app is installed for them (403 BotNotInConversationRoster). RootMail tells the presser what to do; nothing is revealed.
Chosen over installing the app for them through Graph (TeamsAppInstallation.ReadWriteForUser): that needs an
application permission over every user's apps, for a step an admin's app setup policy (or the person) does once."""
from __future__ import annotations

from tests.cardwalk import action
from tests.integration.protection_helpers import everything_shown, start  # noqa: F401  (fixture)
from tests.integration.test_reveal import ALICE_ID, mail_in_channel


async def test_reveal_for_someone_without_the_app_tells_them_how_to_add_it(start):
    rootmail = await start()
    address, mail, card = await mail_in_channel(rootmail)
    rootmail.connector.installed.clear()

    answer = await rootmail.press("reveal", action(card, "reveal")["data"])

    assert answer.card is None and "the RootMail app is not installed for you" in answer.message
    assert "open Apps, find RootMail and select Add" in answer.message and "then press Reveal again" in answer.message
    assert rootmail.connector.created == [] and rootmail.connector.in_private_chat_with(ALICE_ID) == []
    failed = (await rootmail.store.audit_for(address, 1))[0]
    assert failed.action == "reveal-failed" and "403" in failed.detail["reason"]
    assert mail.secret not in everything_shown(rootmail)

    rootmail.connector.installed.add(ALICE_ID)  # they added the app
    again = await rootmail.press("reveal", action(card, "reveal")["data"])
    assert again.message.startswith("Sent to you")


async def test_teams_throttling_the_1_1_chat_says_to_try_again_soon(start):
    rootmail = await start()
    _, _, card = await mail_in_channel(rootmail)
    rootmail.connector.faults += [(200, {}), (429, {})]  # the membership check goes through; the 1:1 chat is throttled

    answer = await rootmail.press("reveal", action(card, "reveal")["data"])

    assert "Teams asked RootMail to slow down" in answer.message and "Press Reveal again in a minute" in answer.message
