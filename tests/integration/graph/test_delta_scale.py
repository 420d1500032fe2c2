"""A 20,000-message first sync is walked page by page: every message recorded once, memory bounded by a page. Graph's
filtered delta returns only 5,000 of them (the fake, as documented), so the other 15,000 come from the folder list
that follows a capped round (the 5,000 the delta gave are not handled twice)."""
from __future__ import annotations

import time
import tracemalloc
from datetime import datetime, timedelta, timezone

from core.model import Mailbox, Strategy
from mail.graph.client import open_graph_client
from mail.graph.delta import LINK_FLAG, DeltaRunner
from mail.graph.ingest import GraphIngest
from mail.graph.inventory import Inventory
from storage.sqlite import open_sqlite
from tests.fakes.graph.server import StaticToken
from tests.fakes.graph.harness import ALIAS_BOX, ALIASES, fake_graph, mail_api  # noqa: F401  (fixture)

MESSAGES = 20_000
BODY = "<p>" + "Your AWS account has a new invoice. " * 60 + "</p>"  # ~2 KB, as AWS billing mail
MEMORY_BOUND = 24 * 1024 * 1024  # bytes; the walk reads ~75 MB of JSON
T0 = datetime.now(timezone.utc)  # RootMail's now in this test; the mail arrived in the ten hours before


async def test_a_20000_message_first_sync_is_walked_with_bounded_memory(fake_graph, tmp_path):
    for i in range(MESSAGES):
        fake_graph.deliver(ALIAS_BOX, to=[ALIASES[i % len(ALIASES)]], subject=f"Invoice {i}", body=BODY,
                           received=T0 - timedelta(minutes=i % 600))
    async with open_sqlite(tmp_path / "scale.db") as store, \
            open_graph_client(StaticToken(fake_graph.token), f"{fake_graph.url}/v1.0", 10) as client:
        graph = mail_api(client, fake_graph, page_size=100)
        inventory = Inventory(store, lambda: T0, graph, [Mailbox(ALIAS_BOX, Strategy.ALIAS)])
        runner = DeltaRunner(store, lambda: T0, graph, GraphIngest(store, lambda: T0, inventory), "scale-test")
        tracemalloc.start()
        started = time.monotonic()
        try:
            result = await runner.run(ALIAS_BOX)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        took = time.monotonic() - started
        recorded = await store.count_mails()
        link = await store.get_flag(LINK_FLAG + ALIAS_BOX)
        again = await runner.run(ALIAS_BOX)

    print(f"\n{MESSAGES}-message first sync: {took:.1f} s, peak traced memory {peak / 1e6:.1f} MB")
    assert result.messages == 5000 and result.pages == 5000 // 100  # what the filtered delta gave
    assert result.swept == MESSAGES - 5000 and recorded == MESSAGES  # the list brought in the rest, none twice
    assert peak < MEMORY_BOUND
    assert "$deltatoken=" in link and again.messages == 0 and again.pages == 1
