"""Subscriptions over time: renewed well before they expire, recreated when Graph removed them, reauthorized when
asked, and `missed` notifications caught up by delta; several instances never double up."""
from __future__ import annotations

from datetime import timedelta

from core.model import MailState
from tests.fakes import teams
from tests.fakes.graph.harness import ALIAS_BOX, PLUS_BOX, fake_graph, graph_port, start_graph_app  # noqa: F401
from tests.integration.graph.test_notifications import owned_alias, subscribed


def subscription_of(rootmail, mailbox: str):
    return next(s for s in rootmail.graph.subscriptions.values()
                if s.mailbox.mail == mailbox and s.expires > rootmail.clock.now)


async def test_a_subscription_is_renewed_once_two_thirds_of_its_lifetime_passed(start_graph_app):
    rootmail = await start_graph_app()
    await subscribed(rootmail)
    sub = subscription_of(rootmail, ALIAS_BOX)
    first_expiry = sub.expires

    rootmail.clock.advance(minutes=4320 * 0.6)
    await rootmail.source.keeper.ensure_all()
    assert rootmail.graph.made("PATCH", "/subscriptions/") == []

    rootmail.clock.advance(minutes=4320 * 0.1)
    await rootmail.source.keeper.ensure_all()
    renewals = rootmail.graph.made("PATCH", "/subscriptions/")
    assert len(renewals) == 2 and sub.expires == rootmail.clock.now + timedelta(minutes=4320) > first_expiry
    assert len(rootmail.graph.subscriptions) == 2  # renewed, not replaced


async def test_an_expired_subscription_is_replaced_and_the_gap_caught_up(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    old = subscription_of(rootmail, ALIAS_BOX)
    before = len(rootmail.connector.sent)

    rootmail.clock.advance(minutes=4321)  # RootMail was down past the expiry
    lost = rootmail.aws_mail(alias, subject="Sent while nobody listened")
    assert await rootmail.graph.notify(lost, ALIAS_BOX) == []  # Graph no longer notifies
    await rootmail.source.keeper.ensure_all()
    rootmail.source.request_delta()

    sent = await rootmail.posted(before + 1)
    new = subscription_of(rootmail, ALIAS_BOX)
    assert new.id != old.id and new.expires > rootmail.clock.now
    assert "Sent while nobody listened" in str(sent[before].cards[0])


async def test_subscription_removed_recreates_it_and_catches_up(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    old = subscription_of(rootmail, ALIAS_BOX)
    before = len(rootmail.connector.sent)
    rootmail.aws_mail(alias, subject="Arrived as Graph dropped the subscription")

    assert await rootmail.graph.lifecycle(old.id, "subscriptionRemoved") == 202

    sent = await rootmail.posted(before + 1)
    await subscribed(rootmail)
    assert subscription_of(rootmail, ALIAS_BOX).id != old.id
    assert "Arrived as Graph dropped the subscription" in str(sent[before].cards[0])


async def test_reauthorization_required_is_answered_with_reauthorize(start_graph_app):
    rootmail = await start_graph_app()
    await subscribed(rootmail)
    sub = subscription_of(rootmail, PLUS_BOX)

    assert await rootmail.graph.lifecycle(sub.id, "reauthorizationRequired") == 202

    async def reauthorized() -> bool:
        return not sub.needs_reauthorization
    await rootmail.until(reauthorized)
    assert [r.path for r in rootmail.graph.made("POST", "/reauthorize")] == [f"/v1.0/subscriptions/{sub.id}/reauthorize"]


async def test_missed_notifications_are_caught_up_by_delta(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await subscribed(rootmail)
    before = len(rootmail.connector.sent)
    for i in range(3):
        rootmail.aws_mail(alias, subject=f"Missed {i}")

    await rootmail.graph.lifecycle(subscription_of(rootmail, ALIAS_BOX).id, "missed")

    sent = await rootmail.posted(before + 3)
    subjects = sorted(str(s.cards[0]) for s in sent[before:])
    assert all(f"Missed {i}" in " ".join(subjects) for i in range(3))
    await rootmail.mails_in(MailState.FORWARDED, 3)


async def test_a_lifecycle_event_with_a_wrong_client_state_changes_nothing(start_graph_app):
    rootmail = await start_graph_app()
    await subscribed(rootmail)
    sub = subscription_of(rootmail, ALIAS_BOX)
    sub.body["clientState"] = "forged"

    await rootmail.graph.lifecycle(sub.id, "subscriptionRemoved")

    assert rootmail.source.rejected == 1
    assert len(rootmail.graph.made("POST", "/subscriptions")) == 2  # the two made at start, nothing more


async def test_two_instances_share_one_subscription_per_mailbox(start_graph_app, fake_graph, unused_tcp_port_factory):
    first = await start_graph_app()
    await subscribed(first)
    second = await start_graph_app(listen_port=unused_tcp_port_factory(), ROOTMAIL_INSTANCE_ID="test-2")

    await second.source.keeper.ensure_all()
    await first.source.keeper.ensure_all()

    assert len(fake_graph.subscriptions) == 2 and len(fake_graph.made("POST", "/subscriptions")) == 2
    await first.say("help", teams.PERSONAL)
