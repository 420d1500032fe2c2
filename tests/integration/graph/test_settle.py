"""Forwarded mail is marked read and moved in batch shapes Graph accepts: several messages of one mailbox at once all
end up read in the done folder, and /readyz stays green (Graph refuses a batch that mixes dependent and independent
requests with 400, which left every message in the Inbox and the readiness probe failing)."""
from __future__ import annotations

from core.model import MailState
from tests.fakes.graph.harness import ALIAS_BOX, fake_graph, graph_port, start_graph_app  # noqa: F401
from tests.integration.graph.test_notifications import owned_alias, subscribed


async def test_several_forwarded_mails_of_one_mailbox_are_all_marked_read_and_moved(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    box = rootmail.graph.mailbox(ALIAS_BOX)
    messages = [rootmail.aws_mail(alias, subject=f"Settled {i}") for i in range(6)]

    await rootmail.graph.notify(messages, ALIAS_BOX)
    await rootmail.mails_in(MailState.FORWARDED, 6)

    async def all_moved() -> bool:
        return all(m.folder != box.inbox and m.data["isRead"] for m in messages)

    async def notes_dropped() -> bool:  # RootMail drops its move notes after reading Graph's answer, a moment later
        return not await rootmail.store.flags_with_prefix("graph-move:", 10)
    await rootmail.until(all_moved)
    await rootmail.until(notes_dropped)
    assert {box.folders[m.folder] for m in messages} == {"RootMail"}
    assert [r.status for r in rootmail.graph.made("POST", "/$batch")].count(400) == 0
    ready = await rootmail.client.get("/readyz")
    assert ready.status == 200, await ready.text()


async def test_a_message_graph_cannot_update_holds_back_no_other(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    box = rootmail.graph.mailbox(ALIAS_BOX)
    doomed, *others = [rootmail.aws_mail(alias, subject=f"Held {i}") for i in range(4)]
    rootmail.graph.fail(503, times=1, path=f"/messages/{doomed.id}$", method="PATCH")  # its update fails once

    await rootmail.graph.notify([doomed, *others], ALIAS_BOX)

    async def others_moved() -> bool:
        return all(m.folder != box.inbox and m.data["isRead"] for m in others)
    await rootmail.until(others_moved)
    await rootmail.source.mover.run_once()  # the failed one is settled in a later round
    assert doomed.folder != box.inbox and doomed.data["isRead"]
    assert [r.status for r in rootmail.graph.made("PATCH", doomed.id)] == [503, 200]
    assert all([r.status for r in rootmail.graph.made("PATCH", m.id)] == [200] for m in others)  # not held back
