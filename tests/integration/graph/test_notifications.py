"""Change notifications: subscribed at start, the validation handshake, 202 at once, posted once, clientState checked,
forwarded mail marked read and moved, unrouted mail left in place."""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from core.model import MailState
from mail.graph.routes import LIFECYCLE_PATH, NOTIFICATIONS_PATH
from tests.cardwalk import text
from tests.fakes import teams
from tests.fakes.graph.harness import ALIAS_BOX, PLUS_BOX, fake_graph, graph_port, start_graph_app  # noqa: F401
from tests.fakes.graph.server import TENANT_ID
from tests.integration.test_bot_commands import allocate


async def subscribed(rootmail, count: int = 2) -> None:
    async def check() -> bool:
        return len(rootmail.graph.subscriptions) >= count
    await rootmail.until(check)


async def owned_alias(rootmail) -> str:
    await allocate(rootmail)
    return (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 10)).items[0].address


async def test_each_mailbox_gets_one_subscription_within_graphs_limits(start_graph_app):
    rootmail = await start_graph_app()
    await subscribed(rootmail)

    subs = list(rootmail.graph.subscriptions.values())
    assert sorted(s.mailbox.mail for s in subs) == sorted([ALIAS_BOX, PLUS_BOX])
    for sub in subs:
        body = sub.body
        assert body["changeType"] == "created" and body["resource"].endswith("/mailFolders('inbox')/messages")
        assert body["notificationUrl"].endswith(NOTIFICATIONS_PATH)
        assert body["lifecycleNotificationUrl"].endswith(LIFECYCLE_PATH)
        assert 32 <= len(body["clientState"]) <= 128
        assert sub.expires - rootmail.clock.now == timedelta(minutes=4320)
    states = [s.body["clientState"] for s in subs]
    assert len(set(states)) == 2
    creations = rootmail.graph.made("POST", "/subscriptions")
    assert all('IdType="ImmutableId"' in r.headers["prefer"] for r in creations)
    stored = [await rootmail.store.get_flag(f"graph-subscription:{m}") for m in (ALIAS_BOX, PLUS_BOX)]
    assert all(stored) and not any(state in flag for state in states for flag in stored)  # only a hash is kept


async def test_the_validation_handshake_echoes_the_token_as_plain_text(start_graph_app):
    rootmail = await start_graph_app()
    for path in (NOTIFICATIONS_PATH, LIFECYCLE_PATH):
        token = "Validation: Testing client application reachability for subscription Request-Id: 0f6b2c1e-1"
        response = await rootmail.client.post(path, params={"validationToken": token},
                                              headers={"Content-Type": "text/plain"})
        assert response.status == 200 and response.content_type == "text/plain"
        assert await response.text() == token


async def test_a_new_mail_is_posted_in_the_owning_channel_and_the_endpoint_answers_202_at_once(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    before = len(rootmail.connector.sent)
    message = rootmail.aws_mail(alias)

    rootmail.graph.latency = 0.3  # Graph is slow today: the notification must not wait for it
    started = time.monotonic()
    assert await rootmail.graph.notify(message, ALIAS_BOX) == [202]
    answered = time.monotonic() - started

    sent = (await rootmail.posted(before + 1))[before]
    assert answered < 0.25
    assert sent.conversation_id == teams.PLATFORM.conversation_id
    assert "Your AWS account is ready" in text(sent.cards[0]) and alias in text(sent.cards[0])


async def test_duplicated_notifications_post_the_mail_once(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    before = len(rootmail.connector.sent)
    message = rootmail.aws_mail(alias)

    await asyncio.gather(*(rootmail.graph.notify(message, ALIAS_BOX) for _ in range(3)))
    await rootmail.graph.notify(message, ALIAS_BOX)
    await rootmail.mails_in(MailState.FORWARDED, 1)
    await rootmail.forwarder.run_once()

    assert len(rootmail.connector.sent) == before + 1
    assert await rootmail.store.count_mails() == 1


async def test_a_notification_with_a_wrong_client_state_is_rejected_and_logged(start_graph_app, caplog):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    message = rootmail.aws_mail(alias)
    before = len(rootmail.graph.requests)

    with caplog.at_level(logging.WARNING, "mail.graph.source"):
        statuses = await rootmail.graph.notify(message, ALIAS_BOX, client_state="guessed")
        forged = await rootmail.graph.post_raw(rootmail.graph.subscriptions[next(iter(rootmail.graph.subscriptions))]
                                               .body["notificationUrl"], {"value": [{"subscriptionId": "nope"}]})
        await asyncio.sleep(0.3)

    assert statuses == [202] and forged == 202
    assert rootmail.source.rejected == 2
    assert len(rootmail.graph.requests) == before  # nothing was fetched
    assert await rootmail.store.count_mails() == 0
    assert sum("rejected" in r.getMessage() for r in caplog.records) == 2
    assert "guessed" not in caplog.text


async def test_a_notification_from_another_tenant_is_rejected(start_graph_app):
    rootmail = await start_graph_app(ROOTMAIL_GRAPH_TENANT_ID=TENANT_ID)
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    message = rootmail.aws_mail(alias)

    rootmail.graph.tenant_id = "0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f"  # another tenant
    await rootmail.graph.notify(message, ALIAS_BOX)
    rootmail.graph.tenant_id = TENANT_ID
    await asyncio.sleep(0.2)

    assert rootmail.source.rejected == 1 and await rootmail.store.count_mails() == 0


async def test_malformed_notification_bodies_get_400(start_graph_app):
    rootmail = await start_graph_app()
    bad = await rootmail.client.post(NOTIFICATIONS_PATH, data="not json", headers={"Content-Type": "application/json"})
    empty = await rootmail.client.post(LIFECYCLE_PATH, json={"values": []})
    assert bad.status == 400 and empty.status == 400


async def test_forwarded_mail_is_marked_read_and_moved_unrouted_mail_stays_and_is_reported(start_graph_app, caplog):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    await rootmail.say("help", teams.PERSONAL)  # the admin conversation becomes known
    routed = rootmail.aws_mail(alias)
    stray = rootmail.aws_mail("aws-0030@example.com", subject="For an alias nobody has")
    box = rootmail.graph.mailbox(ALIAS_BOX)

    with caplog.at_level(logging.WARNING, "mail.graph.mover"):
        await rootmail.graph.notify(routed, ALIAS_BOX)
        await rootmail.graph.notify(stray, ALIAS_BOX)

        async def settled() -> bool:
            return routed.folder != box.inbox and bool(await rootmail.store.flags_with_prefix("graph-left:", 5))
        await rootmail.until(settled)

    assert box.folders[routed.folder] == "RootMail" and routed.data["isRead"] is True
    assert stray.folder == box.inbox and stray.data["isRead"] is False
    assert any(stray.data["webLink"] in r.getMessage() or getattr(r, "web_link", "") == stray.data["webLink"]
               for r in caplog.records)
    admin_cards = [text(s.cards[0]) for s in rootmail.connector.in_conversation(teams.PERSONAL.conversation_id)]
    assert any("For an alias nobody has" in t and "aws-0030@example.com" in t for t in admin_cards)
    pool = await rootmail.say("pool", teams.PERSONAL)
    assert "Unrouted mail left in the mailbox" in text(pool)


async def test_notifications_folded_into_one_post_are_fetched_together_and_each_posted_once(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    before = len(rootmail.connector.sent)
    messages = [rootmail.aws_mail(alias, subject=f"Folded {i}") for i in range(6)]
    gone = rootmail.aws_mail(alias, subject="Deleted before RootMail looked")
    del rootmail.graph.mailbox(ALIAS_BOX).messages[gone.id]

    assert await rootmail.graph.notify(messages + [gone], ALIAS_BOX) == [202]

    await rootmail.mails_in(MailState.FORWARDED, 6)
    sent = rootmail.connector.sent[before:]
    assert sorted(t for s in sent for t in text(s.cards[0]).splitlines() if t.startswith("Folded")) == [
        f"Folded {i}" for i in range(6)]
    fetched = [r for r in rootmail.graph.requests if r.in_batch and r.method == "GET"]
    assert len(rootmail.graph.made("POST", "/$batch")) >= 2 and len(fetched) == 7
    assert not [r for r in rootmail.graph.requests
                if not r.in_batch and r.method == "GET" and "/messages/" in r.path and "delta" not in r.path]


async def test_a_move_graph_refuses_is_given_up_not_retried_forever(start_graph_app, caplog):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    message = rootmail.aws_mail(alias)
    rootmail.graph.fail(400, times=1, path=f"/messages/{message.id}/move$")

    with caplog.at_level(logging.WARNING, "mail.graph.mover"):
        await rootmail.graph.notify(message, ALIAS_BOX)

        async def given_up() -> bool:
            return not await rootmail.store.flags_with_prefix("graph-move:", 5) and message.data["isRead"]
        await rootmail.until(given_up)
    moves = [r for r in rootmail.graph.requests if r.path.endswith("/move")]
    await rootmail.source.mover.run_once()

    assert message.folder == rootmail.graph.mailbox(ALIAS_BOX).inbox and len(moves) == 1
    assert [r for r in rootmail.graph.requests if r.path.endswith("/move")] == moves
    assert any("refused" in r.getMessage() for r in caplog.records)
