"""Faults during a burst: the Bot Connector answering 429/412/502/504 or not at all, a post that timed out but
arrived, Cosmos DB throttling (429) and requests that time out, or land after the client gave up. Every case ends
with every mail delivered once (a repeat only where a post's fate could not be known, and then flagged) and nothing
left waiting."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiohttp import web

from app import FORWARDER, POSTER, STORE, create_app
from tests.cosmos_server import CosmosServer, cosmos_server  # noqa: F401  (session fixture)
from tests.contract.conftest import cosmos_test_store
from tests.fakes.cosmos_faults import CosmosFaults
from tests.fakes.teams_limits import TeamsLimitedConnector
from tests.integration.burst_helpers import Burst, add_addresses
from tests.integration.test_burst import burst_into, nothing_pending


async def started(aiohttp_client, settings, post_timeout: float = 1.0, **overrides):
    app = create_app(settings, **overrides)
    await aiohttp_client(app)
    app[FORWARDER].base_backoff = 0.05
    app[POSTER]._timeout = post_timeout  # short: the connector faults below hang
    return app


def exactly_once(limited: TeamsLimitedConnector, keys) -> None:
    delivered = limited.deliveries()
    assert set(delivered) == set(keys), f"lost {len(set(keys) - set(delivered))}"
    assert set(delivered.values()) == {1}, "a mail reached its channel twice"


async def test_bot_connector_faults_during_a_burst_every_mail_once(aiohttp_client, make_settings, limited):
    app = await started(aiohttp_client, make_settings(ROOTMAIL_DIGEST_THRESHOLD="0"))
    limited.hang_seconds = 2.5  # longer than RootMail waits (1 s), then 504 without posting
    faults = [(429, {"Retry-After": "1"}), (412, {}), (502, {}), (504, {}), (0, {}), (429, {"Retry-After": "1"})]
    limited.faults += faults * 2

    keys = await burst_into(app, limited, Burst(mails=40, channels=4), addresses=40)
    await limited.wait_for_mails(set(keys), timeout=30)
    await nothing_pending(app[STORE])

    exactly_once(limited, keys)
    assert not limited.faults  # every injected fault was answered
    retried = [m for m in await asyncio.gather(*(app[STORE].get_mail(k) for k in keys)) if m.attempts > 1]
    assert len(retried) >= len(faults)  # 12 faults, each cost one mail one attempt
    assert all(m.activity_id and not m.last_error for m in retried)


async def test_a_post_that_timed_out_but_arrived_is_posted_again_and_says_it_may_repeat(aiohttp_client, make_settings,
                                                                                         limited):
    app = await started(aiohttp_client, make_settings())
    limited.late, limited.hang_seconds = 1, 2.5  # accepted, answered after RootMail gave up (1 s)

    keys = await burst_into(app, limited, Burst(mails=1, channels=1), addresses=1)
    await nothing_pending(app[STORE], timeout=15)

    [key] = keys
    posts = [post for post in limited.accepted if key in post.keys]
    assert [post.flagged_repeat for post in posts] == [False, True]  # the known window, never silent
    assert (await app[STORE].get_mail(key)).posting_since is None


@pytest.fixture
async def faulty_cosmos(cosmos_server):  # noqa: F811
    faults = CosmosFaults(cosmos_server.endpoint, cosmos_server.ca_file, cosmos_server.ca_file.parent / "key.pem",
                          hang_seconds=2.5)
    runner = web.AppRunner(faults.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=faults.ssl_context())
    await site.start()
    faults.endpoint = f"https://127.0.0.1:{runner.addresses[0][1]}/"
    yield faults, CosmosServer(faults.endpoint, cosmos_server.key, cosmos_server.ca_file, cosmos_server.log_file)
    await faults.close()
    await runner.cleanup()


@pytest.mark.cosmos
async def test_cosmos_throttling_and_timeouts_during_a_burst_every_mail_once(aiohttp_client, make_settings, limited,
                                                                              faulty_cosmos):
    faults, server = faulty_cosmos
    async with cosmos_test_store(server, timeout=1.5) as store:
        await add_addresses(store, 80, 4, limited.url)
        app = await started(aiohttp_client, make_settings(ROOTMAIL_INSTANCE_ID="cosmos-1"), 15.0, store=store)
        app[FORWARDER].courier.lease = timedelta(seconds=4)  # mail leased by a request that timed out returns soon
        faults.kinds, faults.every = ("429", "hang", "429", "late"), 13

        keys = await burst_into(app, limited, Burst(mails=80, channels=4), addresses=0)
        await limited.wait_for_mails(set(keys), timeout=90)
        faults.every = 0
        await nothing_pending(store, timeout=60)

        exactly_once(limited, keys)
        assert faults.injected["429"] >= 5 and faults.injected["hang"] >= 2 and faults.injected["late"] >= 2


class HeldStore:
    """The real store, except that the first lease renewal is written at once but answered only when released
    (a slow Cosmos DB round trip)."""

    def __init__(self, store):
        self.store, self.released, self.renewals = store, asyncio.Event(), 0

    def __getattr__(self, name):
        return getattr(self.store, name)

    async def update_mail(self, mail):
        written = await self.store.update_mail(mail)
        if mail.posting_since is None and mail.lease_until and not self.renewals:
            self.renewals += 1
            await self.released.wait()
        return written


class HeldPoster:
    def __init__(self):
        self.released, self.posts = asyncio.Event(), 0

    async def post(self, owner, card, summary, urgent=False):
        self.posts += 1
        await self.released.wait()
        return f"activity-{self.posts}"


async def test_a_renewal_answered_after_the_post_began_does_not_undo_its_mark(tmp_path):
    from datetime import datetime, timezone

    from core.delivery.courier import Courier
    from core.delivery.forwarding import PlainCards
    from core.delivery.lanes import Delivery
    from core.model import MailState, Owner
    from storage.sqlite import open_sqlite
    from tests.contract.conftest import mail

    def now():
        return datetime.now(timezone.utc)

    async with open_sqlite(tmp_path / "r.db") as sqlite:
        store, poster = HeldStore(sqlite), HeldPoster()
        courier = Courier(store, poster, now, PlainCards(lambda m, r: {"body": []}, None), "one")
        await sqlite.record_mail(mail("k1", at=now()))
        [claimed] = await sqlite.claim_due_mails(now(), "one", now() + timedelta(seconds=60), 1)
        delivery = Delivery(claimed, Owner("19:c"), None, MailState.FORWARDED)

        renewal = asyncio.create_task(courier.renew(delivery))  # written, answer held back
        while not store.renewals:
            await asyncio.sleep(0.01)
        sending = asyncio.create_task(courier.send([delivery]))  # marks (after a conflict), then posts
        while not poster.posts:
            await asyncio.sleep(0.01)
        store.released.set()  # the renewal's answer arrives while the post is under way
        await renewal
        poster.released.set()
        outcome = await sending

        assert outcome.posted
        stored = await sqlite.get_mail("k1")
        assert (stored.state, stored.activity_id, stored.posting_since) == (MailState.FORWARDED, "activity-1", None)


async def test_the_outcome_of_a_post_is_recorded_even_if_its_own_lease_was_renewed_meanwhile(tmp_path):
    from dataclasses import replace
    from datetime import datetime, timezone

    from core.delivery.courier import Courier
    from core.delivery.forwarding import PlainCards
    from core.delivery.lanes import Delivery
    from core.model import MailState, Owner
    from storage.sqlite import open_sqlite
    from tests.contract.conftest import mail

    def now():
        return datetime.now(timezone.utc)

    async with open_sqlite(tmp_path / "r.db") as store:
        poster = HeldPoster()
        courier = Courier(store, poster, now, PlainCards(lambda m, r: {"body": []}, None), "one")
        await store.record_mail(mail("k1", at=now()))
        [claimed] = await store.claim_due_mails(now(), "one", now() + timedelta(seconds=60), 1)
        sending = asyncio.create_task(courier.send([Delivery(claimed, Owner("19:c"), None, MailState.FORWARDED)]))
        while not poster.posts:
            await asyncio.sleep(0.01)
        marked = await store.get_mail("k1")
        await store.update_mail(replace(marked, lease_until=now() + timedelta(seconds=90)))  # a late renewal
        poster.released.set()
        await sending

        stored = await store.get_mail("k1")
        assert (stored.state, stored.activity_id, stored.posting_since) == (MailState.FORWARDED, "activity-1", None)
