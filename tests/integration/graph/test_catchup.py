"""Nothing is lost: mail that arrived while RootMail was down, or while it crashed mid-way, is forwarded exactly once
after it is back; the first start forwards only recent mail; a lost delta state starts over without double posts."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from core.model import MailState
from mail.graph.delta import LINK_FLAG
from tests.cardwalk import text
from tests.fakes import teams
from tests.fakes.graph.harness import ALIAS_BOX, ALIASES, fake_graph, graph_port, start_graph_app  # noqa: F401
from tests.integration.graph.test_notifications import owned_alias, subscribed


class StuckPoster:
    """A Bot Connector call that never returns: the process dies while posting."""

    def __init__(self):
        self.calls = 0

    async def post(self, owner, card, summary, urgent=False):
        self.calls += 1
        await asyncio.Event().wait()


async def delta_done(rootmail, mailbox: str = ALIAS_BOX) -> None:
    async def check() -> bool:
        saved = await rootmail.store.get_flag(LINK_FLAG + mailbox)
        return bool(saved) and "$deltatoken=" in json.loads(saved)["link"]
    await rootmail.until(check)


def posts_about(rootmail, subject: str) -> list:
    return [s for s in rootmail.connector.sent if any(subject in text(c) for c in s.cards)]


async def test_the_first_start_records_only_mail_from_the_last_day(start_graph_app, fake_graph):
    clock_start = fake_graph.state.now
    fake_graph.deliver(ALIAS_BOX, to=[ALIASES[5]], subject="Old news", received=clock_start - timedelta(hours=30))
    fake_graph.deliver(ALIAS_BOX, to=[ALIASES[5]], subject="Fresh", received=clock_start - timedelta(hours=2))

    rootmail = await start_graph_app()
    await delta_done(rootmail)

    [mail] = await rootmail.store.recent_mails(ALIASES[5], 10)
    assert mail.subject == "Fresh"
    first = rootmail.graph.made("GET", "/delta")[0]
    assert first.query["$filter"] == f"receivedDateTime ge {clock_start - timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}"
    assert first.query["changeType"] == "created"


async def test_mail_that_arrived_while_rootmail_was_down_is_forwarded_once_when_it_is_back(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await delta_done(rootmail)
    await rootmail.client.close()  # down: no notification reaches it
    for i in range(3):
        rootmail.aws_mail(alias, subject=f"While down {i}")

    back = await start_graph_app()
    await back.mails_in(MailState.FORWARDED, 3)
    await back.forwarder.run_once()
    back.source.request_delta()
    await delta_done(back)

    assert [len(posts_about(back, f"While down {i}")) for i in range(3)] == [1, 1, 1]
    box = back.graph.mailbox(ALIAS_BOX)

    async def moved() -> bool:
        return all(m.folder != box.inbox for m in box.messages.values())
    await back.until(moved)


async def test_a_crash_between_fetch_and_post_forwards_the_mail_exactly_once_after_restart(start_graph_app):
    stuck = StuckPoster()
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await rootmail.client.close()
    crashing = await start_graph_app(poster=stuck)
    await subscribed(crashing)
    message = crashing.aws_mail(alias, subject="Posted exactly once")
    await crashing.graph.notify(message, ALIAS_BOX)

    async def posting() -> bool:
        return stuck.calls == 1
    await crashing.until(posting)  # fetched, recorded, and the post is under way
    await crashing.client.close()  # the process dies mid-post

    back = await start_graph_app()
    await back.mails_in(MailState.FORWARDED, 1)
    await delta_done(back)
    await back.forwarder.run_once()

    assert len(posts_about(back, "Posted exactly once")) == 1
    box = back.graph.mailbox(ALIAS_BOX)

    async def moved() -> bool:
        return message.folder != box.inbox and message.data["isRead"]
    await back.until(moved)


async def test_a_crash_while_fetching_loses_nothing(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    await delta_done(rootmail)
    message = rootmail.aws_mail(alias, subject="Fetched as it crashed")
    rootmail.graph.hang_seconds = 30
    rootmail.graph.fail(0, times=1, path=f"/messages/{message.id}")
    await rootmail.graph.notify(message, ALIAS_BOX)
    await asyncio.sleep(0.2)
    await rootmail.client.close()  # dies while Graph hangs on the fetch
    rootmail.graph.faults.clear()

    back = await start_graph_app()
    await back.mails_in(MailState.FORWARDED, 1)

    assert len(posts_about(back, "Fetched as it crashed")) == 1


async def test_a_lost_delta_state_starts_over_without_posting_anything_twice(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await delta_done(rootmail)
    rootmail.aws_mail(alias, subject="Before the state was lost")
    rootmail.source.request_delta()
    await rootmail.mails_in(MailState.FORWARDED, 1)

    rootmail.graph.delta_generation += 1  # Graph forgot every sync state
    rootmail.clock.advance(minutes=10)
    rootmail.aws_mail(alias, subject="After the state was lost")
    rootmail.source.request_delta()
    await rootmail.mails_in(MailState.FORWARDED, 2)
    await delta_done(rootmail)
    await rootmail.forwarder.run_once()

    assert len(posts_about(rootmail, "Before the state was lost")) == 1
    assert len(posts_about(rootmail, "After the state was lost")) == 1
    statuses = [r.status for r in rootmail.graph.made("GET", "/delta")]
    assert 410 in statuses and statuses[-1] == 200


async def test_two_instances_never_walk_the_same_delta_at_once(start_graph_app, unused_tcp_port_factory):
    first = await start_graph_app()
    await delta_done(first)
    second = await start_graph_app(listen_port=unused_tcp_port_factory(), ROOTMAIL_INSTANCE_ID="test-2")
    now = first.clock()

    async def first_holds_the_lease() -> bool:  # the second instance's own start-up delta run may hold it a moment
        return await first.store.acquire_lease("graph-delta:" + ALIAS_BOX, "test-1", now, now.replace(year=2030))
    await first.until(first_holds_the_lease)

    assert await second.source.delta.run(ALIAS_BOX) is None
    await first.store.release_lease("graph-delta:" + ALIAS_BOX, "test-1")
    assert (await second.source.delta.run(ALIAS_BOX)).pages == 1
    await first.say("help", teams.PERSONAL)
