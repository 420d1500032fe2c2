"""What a delta round may leave out, and how RootMail makes up for it: a filtered round stops at Graph's cap (any
round, not only the first: the mail of a long outage), and an updated entry carries only what changed. The cap is
set low here to keep the test small; the documented 5,000 itself is walked in test_delta_scale.py."""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import aiohttp

from core.model import Mailbox, Strategy
from mail.graph.client import open_graph_client
from mail.graph.delta import FILTERED_CAP, LINK_FLAG, DeltaRunner
from mail.graph.ingest import GraphIngest
from mail.graph.inventory import Inventory
from storage.sqlite import open_sqlite
from tests.fakes.graph.harness import AWS_HEADERS, PLUS_BOX, fake_graph, mail_api  # noqa: F401  (fixture)
from tests.fakes.graph.mailapi import FILTERED_DELTA_CAP
from tests.fakes.graph.server import StaticToken

T0 = datetime.now(timezone.utc)  # RootMail's now in this test (the fake Graph lives in the real clock)

CAP = 20


@asynccontextmanager
async def delta_runner(fake, tmp_path, cap: int = FILTERED_CAP):
    async with open_sqlite(tmp_path / "delta.db") as store, \
            open_graph_client(StaticToken(fake.token), f"{fake.url}/v1.0", 5) as client:
        graph = mail_api(client, fake, page_size=10)
        inventory = Inventory(store, lambda: T0, graph, [Mailbox(PLUS_BOX, Strategy.PLUS)])
        yield DeltaRunner(store, lambda: T0, graph, GraphIngest(store, lambda: T0, inventory), "test", filtered_cap=cap)


def deliver(fake, count: int, start: int = 0) -> list:
    return [fake.deliver(PLUS_BOX, to=[f"aws-root+{n}@example.com"], subject=f"Mail {n}", headers=AWS_HEADERS,
                         received=T0 - timedelta(minutes=n)) for n in range(start, start + count)]


def test_rootmail_and_the_fake_both_know_graphs_documented_cap():
    assert FILTERED_CAP == FILTERED_DELTA_CAP == 5000  # concepts/delta-query-messages.md


async def test_mail_of_a_long_outage_past_the_cap_is_all_recorded(fake_graph, tmp_path):
    fake_graph.filtered_delta_cap = CAP
    deliver(fake_graph, 3)
    async with delta_runner(fake_graph, tmp_path, CAP) as runner:
        first = await runner.run(PLUS_BOX)
        deliver(fake_graph, CAP + 10, start=3)  # RootMail is down while more than a round's worth arrives

        after = await runner.run(PLUS_BOX)  # a deltaLink round, filtered like the first
        recorded = await runner.store.count_mails()
        link = json.loads(await runner.store.get_flag(LINK_FLAG + PLUS_BOX))["link"]

    assert (first.messages, first.swept) == (3, 0)
    assert after.messages == CAP  # the round stopped at the cap
    assert after.swept == 10 + 3  # the list: the ten it left out, and the first run's three again (not recorded twice)
    assert recorded == 3 + CAP + 10 and "$deltatoken=" in link


async def test_an_updated_entry_without_what_routing_needs_is_fetched_in_full(fake_graph, tmp_path):
    [message] = deliver(fake_graph, 1)
    box = fake_graph.mailbox(PLUS_BOX)
    async with delta_runner(fake_graph, tmp_path) as runner:
        await runner.run(PLUS_BOX)
        # a round that also reports updates (its link saved by another client or an older version), and an entry
        # that carries the headers besides what changed ("additional properties may be included")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {fake_graph.token}",
                                                  "Prefer": 'IdType="ImmutableId"'}) as http:
            async with http.get(f"{fake_graph.url}/v1.0/users/{box.id}/mailFolders/inbox/messages/delta") as response:
                link = (await response.json())["@odata.deltaLink"]
        await runner.store.set_flag(LINK_FLAG + PLUS_BOX, json.dumps({"link": link, "covered": T0.isoformat()}))
        fake_graph.update_extras = ("internetMessageHeaders",)
        fake_graph.state.update(box, message, {"isRead": True})  # someone opened it in Outlook

        result = await runner.run(PLUS_BOX)
        mails = await runner.store.recent_mails("aws-root+0@example.com", 5)
        stray = await runner.store.recent_mails(PLUS_BOX, 5)
        recorded = await runner.store.count_mails()

    assert result.messages == 1 and recorded == 1  # the same mail, not a second record for the mailbox
    assert [m.subject for m in mails] == ["Mail 0"] and stray == []
    assert any(r.method == "GET" and r.path.endswith(f"/messages/{message.id}") for r in fake_graph.requests)
