"""A burst through the Graph mail source while Graph answers 429 (with Retry-After) and 503: every mail is fetched,
recorded and posted exactly once (own card or inside a digest), and nothing is left waiting."""
from __future__ import annotations

from collections import Counter

from core.model import AddressState, MailState, RootAddress
from tests.fakes import teams
from tests.fakes.graph.harness import ALIASES, fake_graph, graph_port, start_graph_app  # noqa: F401
from tests.integration.burst_helpers import ALICE, T0
from tests.integration.graph.test_catchup import delta_done

MAILS = 60


def delivered_keys(connector) -> Counter:
    """Mail keys the posted cards carry (element ids `mail:<key>`), once per post."""
    found: Counter = Counter()
    for sent in connector.sent:
        for card in sent.cards:
            found.update(e["id"][5:] for e in card.get("body", []) if str(e.get("id", "")).startswith("mail:"))
    return found


async def test_a_graph_burst_under_429_and_503_is_posted_once_each(start_graph_app):
    rootmail = await start_graph_app("graph-poll", ROOTMAIL_GRAPH_PUBLIC_URL="")
    await rootmail.say("help")  # the channel introduces itself: its conversation reference is stored
    owner = await rootmail.store.get_conversation(teams.PLATFORM.conversation_id)
    for alias in ALIASES[:20]:
        await rootmail.store.create_address(RootAddress(alias, "aws-root-01@example.com", f"acct {alias}",
                                                        "production", "burst", owner, ALICE, T0, T0,
                                                        AddressState.ACTIVE))
    await delta_done(rootmail)
    for n in range(MAILS):
        rootmail.aws_mail(ALIASES[n % 20], subject=f"AWS Health Event - scheduled maintenance {n}")
    rootmail.graph.fail(429, times=3, retry_after="1")
    rootmail.graph.fail(503, times=3)

    rootmail.source.request_delta()
    await rootmail.mails_in(MailState.FORWARDED, MAILS, timeout=60)

    assert not rootmail.graph.faults  # every injected fault was answered
    keys = [m.key for alias in ALIASES[:20] for m in await rootmail.store.recent_mails(alias, 10)]
    assert len(keys) == MAILS
    delivered = delivered_keys(rootmail.connector)
    assert set(delivered) == set(keys) and set(delivered.values()) == {1}
    assert await rootmail.store.count_mails("received") + await rootmail.store.count_mails("failed") == 0
