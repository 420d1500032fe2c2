"""Each configured mailbox is resolved once (object id, UPN, primary or proxy SMTP address) to its object id, used in
every request afterwards; a mailbox Graph cannot find is reported loudly (start-up log, /readyz, admin card), the
others keep working, and it is picked up once it exists."""
from __future__ import annotations

import json
import logging

import pytest

from core.model import MailState
from mail.graph.client import open_graph_client
from mail.graph.mailboxes import Resolved, Unresolved, resolve
from tests.cardwalk import text
from tests.fakes import teams
from tests.fakes.graph.harness import (ALIAS_BOX, ALIAS_BOX_UPN, ALIASES, PLUS_BOX, fake_graph,  # noqa: F401
                                       graph_port, start_graph_app)
from tests.integration.graph.test_catchup import delta_done, posts_about
from tests.integration.graph.test_client import FAST
from tests.integration.graph.test_notifications import owned_alias
from tests.fakes.graph.server import StaticToken

MISSING = "aws-root-99@example.com"


async def resolved(fake, mailbox: str, key: str = ""):
    async with open_graph_client(StaticToken(fake.token), f"{fake.url}/v1.0", 2.0, FAST) as client:
        return await resolve(client, mailbox, key)


@pytest.mark.parametrize("key, found_by", [("id", "object id"), (ALIAS_BOX_UPN, "user principal name"),
                                           (ALIAS_BOX, "primary SMTP address"), (ALIASES[7], "SMTP proxy address")])
async def test_a_mailbox_resolves_by_object_id_upn_or_any_smtp_address(key, found_by, fake_graph):
    box = fake_graph.mailbox(ALIAS_BOX)

    answer = await resolved(fake_graph, ALIAS_BOX, box.id if key == "id" else key)

    assert answer == Resolved(ALIAS_BOX, box.id, ALIAS_BOX_UPN, found_by)


async def test_an_unknown_ambiguous_or_unreachable_mailbox_stays_unresolved_with_the_reason(fake_graph):
    fake_graph.mailbox(PLUS_BOX).proxy_addresses.append("smtp:shared@example.com")
    fake_graph.mailbox(ALIAS_BOX).proxy_addresses.append("smtp:shared@example.com")

    unknown = await resolved(fake_graph, MISSING)
    ambiguous = await resolved(fake_graph, "shared@example.com")
    fake_graph.fail(403, times=1, path="/users")
    denied = await resolved(fake_graph, PLUS_BOX)

    assert isinstance(unknown, Unresolved) and unknown.answered and "graph_id" in unknown.reason
    assert isinstance(ambiguous, Unresolved) and "2 users have the address" in ambiguous.reason
    assert isinstance(denied, Unresolved) and not denied.answered and "User.Read.All" in denied.reason


async def test_a_mailbox_whose_address_is_not_its_upn_is_read_by_object_id(start_graph_app):
    rootmail = await start_graph_app()
    alias = await owned_alias(rootmail)
    await delta_done(rootmail)
    box = rootmail.graph.mailbox(ALIAS_BOX)
    rootmail.aws_mail(alias, subject="Reached the shared mailbox")
    rootmail.source.request_delta(ALIAS_BOX)

    await rootmail.mails_in(MailState.FORWARDED, 1)

    assert len(posts_about(rootmail, "Reached the shared mailbox")) == 1
    mail_calls = [r.path for r in rootmail.graph.requests if r.path.count("/") > 3]  # /v1.0/users/{x}/...
    assert mail_calls and not any(ALIAS_BOX in path for path in mail_calls)  # never by its SMTP address
    assert any(f"/users/{box.id}/" in path for path in mail_calls)


async def test_a_mailbox_graph_cannot_find_is_reported_and_picked_up_once_it_exists(start_graph_app, tmp_path,
                                                                                    caplog):
    first = await start_graph_app()
    await first.say("help", teams.PERSONAL)  # the admin conversation becomes known
    await first.client.close()
    pool = tmp_path / "pool-with-a-typo.json"
    pool.write_text(json.dumps({"mailboxes": [{"address": ALIAS_BOX, "strategy": "alias"},
                                              {"address": PLUS_BOX, "strategy": "plus"},
                                              {"address": MISSING, "strategy": "plus"}]}))

    with caplog.at_level(logging.ERROR, "mail.graph.mailboxes"):
        rootmail = await start_graph_app(ROOTMAIL_POOL_FILE=str(pool))

    assert [getattr(r, "mailbox", "") for r in caplog.records if r.levelno >= logging.ERROR] == [MISSING]
    ready = await rootmail.client.get("/readyz")
    assert ready.status == 503 and (await ready.json())["checks"]["mail_source"] == "failing: MailboxUnresolved"
    told = [text(s.cards[0]) for s in rootmail.connector.in_conversation(teams.PERSONAL.conversation_id)]
    assert any("cannot read some shared mailboxes" in t and MISSING in t for t in told)
    alias = await owned_alias(rootmail)  # the other mailboxes work meanwhile
    await delta_done(rootmail)
    rootmail.aws_mail(alias, subject="Still forwarded")
    rootmail.source.request_delta(ALIAS_BOX)
    await rootmail.mails_in(MailState.FORWARDED, 1)

    rootmail.graph.add_mailbox(MISSING, upn="aws-root-99@contoso.onmicrosoft.com")  # the admin fixes Exchange
    card = await rootmail.say("pool", teams.PERSONAL)  # looks it up again now

    assert MISSING in text(card) and "Could not read" not in text(card)
    assert (await rootmail.client.get("/readyz")).status == 200
