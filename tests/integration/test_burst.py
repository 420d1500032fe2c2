"""Bursts under Teams' limits: every mail reaches its channel exactly once, urgent mail first, backlogs as digests,
and the fake Bot Connector that enforces Teams' limits never has to answer 429."""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime, timezone

from app import FORWARDER, INSPECTOR, MAIL_WAKE, STORE, create_app
from core.model import MailState
from tests.cardwalk import text
from tests.fakes import teams
from tests.integration.burst_helpers import Burst, add_addresses, channel, deliver


def now() -> datetime:
    return datetime.now(timezone.utc)


async def start(aiohttp_client, make_settings, limited, **env):
    app = create_app(make_settings(ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id, **env),
                     identities_verified=True)
    client = await aiohttp_client(app)
    return client, app


async def burst_into(app, limited, burst: Burst, addresses: int, wake_while: bool = True) -> dict[str, str]:
    """Addresses, then the burst; the forwarder is woken as mail comes in, or (wake_while=False) once at the end."""
    await add_addresses(app[STORE], addresses, burst.channels, limited.url)
    keys = await deliver(app[STORE], now, app[INSPECTOR], burst, app[MAIL_WAKE].set if wake_while else lambda: None)
    app[MAIL_WAKE].set()
    return keys


async def nothing_pending(store, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while await store.count_mails("received") + await store.count_mails("failed"):
        assert time.monotonic() < deadline, "mail still waiting to be posted"
        await asyncio.sleep(0.05)


async def test_a_burst_to_many_channels_arrives_once_each_mostly_in_digests(aiohttp_client, make_settings, limited):
    client, app = await start(aiohttp_client, make_settings, limited)
    burst = Burst(mails=300, channels=6)
    keys = await burst_into(app, limited, burst, addresses=600, wake_while=False)  # all of it waiting at once

    await limited.wait_for_mails(set(keys), timeout=30)
    await nothing_pending(app[STORE])

    delivered = limited.deliveries()
    assert set(delivered) == set(keys) and set(delivered.values()) == {1}  # none lost, none twice
    assert sum(limited.throttled.values()) == 0  # RootMail stayed inside every Teams window
    assert await app[STORE].count_mails(MailState.FORWARDED.value) == 300
    posts = Counter(post.conversation_id for post in limited.accepted)
    assert set(posts) == {channel(n) for n in range(6)}
    # 50 mails per channel: password resets (critical) alone, the rest in digests of up to 30 mails
    assert set(posts.values()) <= {2, 3, 4, 5} and sum(1 for post in limited.accepted if len(post.keys) > 1) >= 12
    resets = [post for post in limited.accepted if any(keys[k] == "reset" for k in post.keys)]
    assert len(resets) == 6 and all(len(post.keys) == 1 for post in resets)  # critical mail: never in a digest
    metrics = await (await client.get("/metrics")).text()
    assert "rootmail_mails_forwarded_total 300" in metrics.splitlines()
    assert "rootmail_queue_depth 0" in metrics.splitlines()


async def test_without_digests_one_channel_gets_every_mail_as_fast_as_teams_allows_urgent_first(
        aiohttp_client, make_settings, limited):
    client, app = await start(aiohttp_client, make_settings, limited, ROOTMAIL_DIGEST_THRESHOLD="0")
    burst = Burst(mails=24, channels=1, urgent_every=24)  # the last mail is the urgent one
    started = time.monotonic()
    keys = await burst_into(app, limited, burst, addresses=24)

    await limited.wait_for_mails(set(keys), timeout=30)
    took = time.monotonic() - started

    assert sum(limited.throttled.values()) == 0
    assert [len(post.keys) for post in limited.accepted] == [1] * 24
    assert keys[limited.accepted[0].keys[0]] == "reset"  # arrived last, posted first
    assert took >= 4.0  # 24 posts need three 2-second windows of 8: Teams' limits, kept
    assert took < 12.0


async def test_the_admin_status_shows_pool_backlog_lanes_and_the_graph_source(aiohttp_client, make_settings,
                                                                              connector):
    from tests.integration.conftest import Harness

    rootmail = Harness(await aiohttp_client(create_app(make_settings(
        ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id), identities_verified=True)), connector)
    await rootmail.say("help", teams.PERSONAL)

    card = await rootmail.say("status", teams.PERSONAL)
    refused = await rootmail.say("status", teams.PLATFORM)

    shown = text(card)
    assert "RootMail status" in shown and "Waiting to be posted" in shown
    assert "aws-root-01@example.com" in shown  # the demo pool's alias mailbox, with its fill
    assert "Queued here" in shown
    assert "not configured" in shown  # no Graph source in this setup
    assert "Only admins" in text(refused)
    assert rootmail.client.app[FORWARDER].lanes.queued == 0
