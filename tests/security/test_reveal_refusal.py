"""A refused Reveal answers with the refusal alone: nothing of the mail (subject, sender, preview, who revealed it)
reaches the person refused; the card they pressed stays as it was (issue 16, item 7)."""
from __future__ import annotations

from tests.cardwalk import action
from tests.fakes import teams
from tests.integration.protection_helpers import Clock, start  # noqa: F401  (fixture)
from tests.integration.test_reveal import ALICE_ID, mail_in_channel


async def test_a_refused_reveal_answers_with_the_refusal_alone(start):
    rootmail = await start()
    _, mail, card = await mail_in_channel(rootmail, members=(ALICE_ID,))
    await rootmail.press("reveal", action(card, "reveal")["data"])  # Alice revealed it: her name is on the card

    refused = await rootmail.press("reveal", action(card, "reveal")["data"], user=teams.BOB)

    assert refused.card is None and refused.replies == []  # no card in place of the mail card, none beside it
    assert refused.message == ("Only members of the team that owns this address, or RootMail admins, may reveal its "
                               "codes.")
    for leaked in (mail.subject, "no-reply@signin.aws", mail.message.get_body(("plain",)).get_content()[:40],
                   "Alice Admin", mail.secret):
        assert leaked not in refused.message


async def test_a_reveal_refused_for_a_closed_window_says_only_that(start):
    clock = Clock()
    rootmail = await start(clock)
    _, mail, card = await mail_in_channel(rootmail)
    clock.advance(minutes=16)

    refused = await rootmail.press("reveal", action(card, "reveal")["data"])

    assert refused.card is None and mail.subject not in refused.message and "window" in refused.message
