"""ROOTMAIL_MAIL_SOURCE=graph-poll: no public URL, no subscriptions, no notification routes; delta polling alone
brings the mail in."""
from __future__ import annotations

from core.model import MailState
from mail.graph.routes import NOTIFICATIONS_PATH
from tests.fakes import teams
from tests.fakes.graph.harness import ALIAS_BOX, fake_graph, graph_port, start_graph_app  # noqa: F401
from tests.integration.graph.test_catchup import delta_done, posts_about
from tests.integration.graph.test_notifications import owned_alias


async def test_polling_mode_forwards_mail_without_any_subscription(start_graph_app):
    rootmail = await start_graph_app("graph-poll", ROOTMAIL_GRAPH_PUBLIC_URL="", ROOTMAIL_GRAPH_POLL_SECONDS="5")
    alias = await owned_alias(rootmail)
    await delta_done(rootmail)
    rootmail.aws_mail(alias, subject="Found by polling")

    await rootmail.mails_in(MailState.FORWARDED, 1, timeout=10)  # the next poll, at most 5 s later

    assert len(posts_about(rootmail, "Found by polling")) == 1
    assert rootmail.graph.subscriptions == {} and rootmail.graph.made("POST", "/subscriptions") == []
    assert (await rootmail.client.post(NOTIFICATIONS_PATH, params={"validationToken": "x"})).status == 404
    ready = await rootmail.client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["checks"]["mail_source"] == "ok"
    await rootmail.say("help", teams.PERSONAL)


async def test_readiness_reports_a_graph_that_keeps_failing(start_graph_app):
    rootmail = await start_graph_app("graph-poll", ROOTMAIL_GRAPH_PUBLIC_URL="")
    await delta_done(rootmail)
    box = rootmail.graph.mailbox(ALIAS_BOX)  # access to the mailbox withdrawn: every call to it refused from now on
    rootmail.graph.fail(403, times=1000, path=f"/users/{box.id}/")

    rootmail.source.request_delta()

    async def failing() -> bool:
        return (await rootmail.client.get("/readyz")).status == 503
    await rootmail.until(failing)
    body = await (await rootmail.client.get("/readyz")).json()
    assert body["checks"]["mail_source"] == "failing: MailSourceUnavailable"
