"""Journey 2: AWS mails a verification code to the new address; the card appears in the channel, code hidden."""
from __future__ import annotations

import pytest

from tests.e2e import story

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_the_mail_appears_in_the_owning_channel_as_a_card(delivered_mail):
    assert delivered_mail.subject in delivered_mail.card
    assert delivered_mail.address in delivered_mail.card
    assert story.ACCOUNT_NAME in delivered_mail.card
    assert "Verification code" in delivered_mail.card


async def test_the_verification_code_is_nowhere_on_the_page(delivered_mail):
    assert not story.shows_code(delivered_mail.card, delivered_mail.code)
    assert not story.shows_code(delivered_mail.page, delivered_mail.code)
