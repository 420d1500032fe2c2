"""Junk Email: AWS mail that Exchange Online Protection filed as junk is found and forwarded like Inbox mail (and moved
out of Junk Email); everything else there is spam to RootMail and is left alone, not posted to anyone."""
from __future__ import annotations

from core.model import MailState
from tests.fakes.graph.harness import ALIAS_BOX, fake_graph, graph_port, start_graph_app  # noqa: F401
from tests.integration.graph.test_catchup import delta_done, posts_about
from tests.integration.graph.test_notifications import owned_alias


async def test_aws_mail_filed_as_junk_is_forwarded_and_moved_out_of_junk(start_graph_app):
    rootmail = await start_graph_app(ROOTMAIL_GRAPH_POLL_SECONDS="5")
    alias = await owned_alias(rootmail)
    await delta_done(rootmail)
    box = rootmail.graph.mailbox(ALIAS_BOX)
    junked = rootmail.aws_mail(alias, subject="Your AWS verification code", junk=True)

    await rootmail.mails_in(MailState.FORWARDED, 1, timeout=15)  # the Junk Email delta runs every 5 s here

    assert len(posts_about(rootmail, "Your AWS verification code")) == 1

    async def moved() -> bool:
        return junked.folder != box.junk and junked.data["isRead"]
    await rootmail.until(moved)
    assert box.folders[junked.folder] == "RootMail"


async def test_junk_not_from_aws_is_left_in_junk_and_posted_nowhere(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await delta_done(rootmail)
    box = rootmail.graph.mailbox(ALIAS_BOX)
    before, walked = len(rootmail.connector.sent), await rootmail.store.get_flag("graph-junk-delta:" + ALIAS_BOX)
    spam = rootmail.graph.deliver(ALIAS_BOX, to=[alias], subject="Your AWS account is suspended", junk=True,
                                  sender="security@aws-verify.example", sender_name="AWS", received=rootmail.clock.now,
                                  headers=[("Authentication-Results", "spf=fail smtp.mailfrom=aws-verify.example; "
                                            "dkim=none; dmarc=fail action=none header.from=aws-verify.example")])

    rootmail.source.request_delta(ALIAS_BOX)

    async def junk_walked_again() -> bool:  # a new deltaLink: the round that saw the spam is done
        return await rootmail.store.get_flag("graph-junk-delta:" + ALIAS_BOX) != walked
    await rootmail.until(junk_walked_again)
    assert await rootmail.store.count_mails() == 0 and len(rootmail.connector.sent) == before
    assert spam.folder == box.junk and not spam.data["isRead"]
