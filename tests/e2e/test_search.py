"""Journey 7: search RootMail from the compose box (the Playground's search-based message extension, which sends
composeExtension/query as Teams does; it loads no manifest, so the command id is whatever it sends)."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e import story

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_searching_by_account_name_lists_the_address(tab, allocation):
    await tab.channel(story.TEAM, story.CHANNEL)
    results = await tab.search_extension(story.ACCOUNT_NAME)

    await expect(results).to_contain_text(allocation.address)
    await tab.screenshot("07-search.png")


async def test_a_search_without_a_match_says_so(tab, allocation):
    await tab.channel(story.TEAM, story.CHANNEL)
    results = await tab.search_extension("no-such-account-anywhere")

    await expect(results).to_contain_text("No root address matches")
