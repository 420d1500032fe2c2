"""A command that needs a part that is down answers at once with what is down and since when; the others work."""
from __future__ import annotations

import asyncio

from app import create_app
from tests.cardcheck import texts
from tests.fakes import teams
from tests.integration.conftest import Harness


class SilentEntra:
    """A credential whose token request never comes back (Entra ID unreachable behind a firewall that drops)."""

    async def get_token(self, *scopes, **kwargs):
        await asyncio.sleep(3600)

    async def close(self) -> None:
        pass


async def test_pool_while_exchange_cannot_be_read_says_so_and_since_when(aiohttp_client, connector, make_settings,
                                                                         tmp_path):
    pool = tmp_path / "pool.json"
    pool.write_text('{"mailboxes": [{"address": "aws-root@example.com", "strategy": "plus"}]}')
    settings = make_settings(ROOTMAIL_MAIL_SOURCE="graph-poll", ROOTMAIL_POOL_FILE=str(pool),
                             ROOTMAIL_GRAPH_BASE_URL="http://127.0.0.1:9/v1.0", ROOTMAIL_GRAPH_TIMEOUT="5",
                             ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id)
    app = create_app(settings, identities_verified=True, graph_credential=SilentEntra())
    harness = Harness(await aiohttp_client(app), connector)

    card = await harness.say("pool", teams.PERSONAL)
    said = " ".join(texts(card))
    assert "Exchange Online (Microsoft Graph) is still starting since" in said and "UTC" in said
    listed = await harness.say("list", teams.PERSONAL)  # a command that needs only the store still works
    assert not any("store" in line.lower() or "Exchange" in line for line in texts(listed)), texts(listed)
