"""Two RootMail instances on one Cosmos DB store (the test server), both forwarding the same burst: leases decide
who posts each mail, so every mail reaches its channel exactly once and nothing is left waiting."""
from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager

import pytest

from app import FORWARDER, STORE
from storage.cosmos.client import CosmosSettings, open_cosmos
from tests.cosmos_server import cosmos_server  # noqa: F401  (session fixture)
from tests.integration.burst_helpers import Burst, add_addresses
from tests.integration.test_burst import burst_into, nothing_pending
from tests.integration.test_faults import exactly_once, started

pytestmark = pytest.mark.cosmos


@asynccontextmanager
async def shared_database(server):
    """Two stores (two CosmosClients, as two instances have) on one fresh database, dropped afterwards."""
    from azure.cosmos.aio import CosmosClient

    settings = CosmosSettings(server.endpoint, server.key, database=f"two-{uuid.uuid4().hex[:10]}",
                              create_if_missing=True)
    try:
        async with open_cosmos(settings) as one, open_cosmos(settings) as other:
            yield one, other
    finally:
        async with CosmosClient(server.endpoint, server.key) as client:
            await client.delete_database(settings.database)


async def test_two_instances_share_a_burst_and_post_every_mail_once(aiohttp_client, make_settings, limited,
                                                                    cosmos_server):  # noqa: F811
    async with shared_database(cosmos_server) as (store_a, store_b):
        await add_addresses(store_a, 200, 8, limited.url)
        first = await started(aiohttp_client, make_settings(ROOTMAIL_INSTANCE_ID="rootmail-a"), 15.0,
                              store=store_a)
        second = await started(aiohttp_client, make_settings(ROOTMAIL_INSTANCE_ID="rootmail-b"), 15.0,
                               store=store_b)

        keys = await burst_into(first, limited, Burst(mails=100, channels=8), addresses=0)
        keys |= await burst_into(second, limited, Burst(mails=200, channels=8, urgent_every=0), addresses=0)
        await limited.wait_for_mails(set(keys), timeout=60)
        await nothing_pending(store_a, timeout=30)

        flagged = [post for post in limited.accepted if post.flagged_repeat]
        assert not flagged, f"{len(flagged)} posts were repeats"
        exactly_once(limited, keys)
        posted = [app[FORWARDER].lanes.posts for app in (first, second)]
        assert all(posted), f"both instances should have posted: {posted}"
        assert await first[STORE].count_mails("forwarded") == len(keys)
        print(f"\ntwo instances: posts {posted}, answered 429: {sum(limited.throttled.values())}")


async def test_a_hundred_new_addresses_at_once_over_two_instances_are_all_distinct(aiohttp_client, connector,
                                                                                   make_settings,
                                                                                   cosmos_server):  # noqa: F811
    from app import create_app
    from tests.cardwalk import action, text
    from tests.fakes import teams
    from tests.integration.conftest import UNLIMITED, Harness
    from tests.integration.test_bot_commands import FORM

    async with shared_database(cosmos_server) as (store_a, store_b):
        a = Harness(await aiohttp_client(create_app(make_settings(ROOTMAIL_INSTANCE_ID="rootmail-a", **UNLIMITED),
                                                    store=store_a)), connector)
        b = Harness(await aiohttp_client(create_app(make_settings(ROOTMAIL_INSTANCE_ID="rootmail-b", **UNLIMITED),
                                                    store=store_b)), connector)
        form = action(await a.say("new"), "new.submit")["data"]
        cards = await asyncio.gather(*(
            (a if n % 2 else b).execute("new.submit", form | FORM | {"request_id": f"req-{n}",
                                                                       "account_name": f"Team {n}"})
            for n in range(100)))
        page = await store_a.list_by_owner(teams.PLATFORM.conversation_id, 100)
        addresses = {record.address for record in page.items}
        assert len(addresses) == 100 and await store_b.count_addresses() == 100
        assert all(any(address in text(card) for address in addresses) for card in cards)
