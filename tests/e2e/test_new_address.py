"""Journey 1: in the team channel, @RootMail new, fill the form, submit, and read the new address."""
from __future__ import annotations

import re

import pytest

from tests.e2e import story

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_the_form_asks_for_what_the_account_is(allocation):
    for label in ("AWS account name", "Environment", "Purpose", "AWS account id"):
        assert label in allocation.form


async def test_submitting_the_form_shows_a_new_address_with_what_was_entered(allocation):
    assert re.fullmatch(r"aws-\d{4}@example\.com", allocation.address), allocation.address  # config/pool.demo.json
    for entered in (story.ACCOUNT_NAME, story.ENVIRONMENT, story.PURPOSE):
        assert entered in allocation.result
    assert f"link {allocation.address} <account id>" in allocation.result  # the next step, ready to copy


async def test_the_address_card_names_the_owning_channel(allocation):
    assert re.search(rf"Owner\s+{story.TEAM}\s*/\s*{story.CHANNEL}|Owner\s+{story.CHANNEL}", allocation.result)
