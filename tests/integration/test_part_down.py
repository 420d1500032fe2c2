"""A command that needs a part that is down answers at once with what is down and since when; the others work."""
from __future__ import annotations

from tests.cardcheck import texts
from tests.fakes import teams
from tests.integration.conftest import _serving
from tests.integration.cloudless import closed_port


async def test_pool_while_exchange_cannot_be_reached_says_so_and_since_when(aiohttp_client, connector, make_settings,
                                                                            tmp_path):
    pool = tmp_path / "pool.json"
    pool.write_text('{"mailboxes": [{"address": "aws-root@example.com", "strategy": "plus"}]}')
    dead = f"http://127.0.0.1:{closed_port()}"
    settings = make_settings(ROOTMAIL_MAIL_SOURCE="graph-poll", ROOTMAIL_GRAPH_BASE_URL=f"{dead}/v1.0",
                             ROOTMAIL_POOL_FILE=str(pool), ROOTMAIL_GRAPH_TIMEOUT="1",
                             ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id)
    async for harness in _serving(aiohttp_client, connector, settings):
        card = await harness.say("pool", teams.PERSONAL)
        assert any("Exchange Online (Microsoft Graph) is still starting since" in line for line in texts(card))
        listed = await harness.say("list", teams.PERSONAL)  # a command that needs only the store still works
        assert not any("cannot" in line.lower() for line in texts(listed))
