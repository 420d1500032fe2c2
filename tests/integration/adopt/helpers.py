"""Shared steps of the adoption tests: RootMail with its SMTP inbox, botocore pointed at the fake AWS organization,
and the `adopt` form filled in and started from the admin chat."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from app import ADOPTER, INBOX, STORE, create_app
from aws.account import AccountClient
from aws.organizations import OrganizationsAccounts
from core.adoption.states import Policy
from core.adoption.book import AdoptBook
from tests.cardcheck import actions, texts, validate_cards
from tests.fakes import teams
from tests.fakes.aws_account import AwsOrg, runner_keys
from tests.integration.conftest import Harness

ORG_ROLE = "arn:aws:iam::111111111111:role/RootMailOrgReader"
ADOPT_ROLE = "arn:aws:iam::111111111111:role/RootMailAdopter"
ADMIN_CHAT = teams.PERSONAL
# Codes that do come arrive in well under a second; the wait is long so a loaded machine never trips it.
FAST = Policy(code_wait=timedelta(seconds=20), backoff=timedelta(milliseconds=50),
              max_backoff=timedelta(milliseconds=200), poll=timedelta(milliseconds=50),
              card_every=timedelta(milliseconds=100))
SHORT = replace(FAST, code_wait=timedelta(seconds=3))  # for tests about codes that never come


@pytest.fixture
async def org(aiohttp_server, monkeypatch) -> AwsOrg:
    """The fake AWS organization: three legacy accounts whose root e-mail RootMail does not know."""
    runner_keys(monkeypatch)
    fake = AwsOrg()
    fake.add("222222222222", "Legacy Billing", "billing-root@corp.example")
    fake.add("333333333333", "Data Lake", "dl-aws@corp.example")
    fake.add("444444444444", "Old Sandbox", "jane.doe@gmail.example")
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/"))
    return fake


@pytest.fixture
async def start(aiohttp_client, connector, make_settings, org):
    """`await start(policy=..., **env)`: RootMail with adoption set up against `org`; cards checked at the end."""
    started: list[Harness] = []

    async def run(policy: Policy = FAST, **env: str) -> Harness:
        settings = make_settings(**({
            "ROOTMAIL_ADMIN_CONVERSATION": ADMIN_CHAT.conversation_id, "ROOTMAIL_MAIL_SOURCE": "smtp",
            "ROOTMAIL_ORG_ROLE_ARN": ORG_ROLE, "ROOTMAIL_ORG_SYNC_MINUTES": "0",
            "ROOTMAIL_ADOPT_ROLE_ARN": ADOPT_ROLE} | env))
        app = create_app(settings, org_accounts=OrganizationsAccounts(ORG_ROLE, endpoint_url=org.url),
                         aws_account=AccountClient(ADOPT_ROLE, endpoint_url=org.url, attempts=1),
                         adopt_policy=policy, identities_verified=True)
        harness = Harness(await aiohttp_client(app), connector)
        org.smtp = ("127.0.0.1", app[INBOX].port)
        started.append(harness)
        return harness

    yield run
    cards = [c for h in started for c in h.every_card()] + [c for u in connector.updated for c in u.cards]
    problems = {i: e for i, e in enumerate(validate_cards(cards)) if e} if cards else {}
    assert not problems, f"the bot sent cards Teams would reject: {problems}"


async def open_form(harness: Harness, what: str = "--all-unmanaged", owner: teams.Where = teams.PLATFORM,
                    ) -> dict[str, Any]:
    await harness.say("help", owner)  # RootMail learns the owning channel, as when it is installed there
    return await harness.say(f"adopt {what}", ADMIN_CHAT)


async def adopt(harness: Harness, what: str = "--all-unmanaged", owner: teams.Where = teams.PLATFORM,
                environment: str = "production", finish: bool = True) -> str:
    """Run `adopt`, fill the form, press Start; return the run id (after the run finished, unless told not to)."""
    form = await open_form(harness, what, owner)
    button = next(a for a in actions(form) if a.get("verb") == "adopt.start")
    data = dict(button["data"]) | {"owner": owner.conversation_id, "environment": environment}
    answer = await harness.execute("adopt.start", data, ADMIN_CHAT)
    assert "Adoption started" in texts(answer), texts(answer)
    if finish:
        await asyncio.wait_for(harness.client.app[ADOPTER].wait(data["run"]), 120)
    return data["run"]


def progress(harness: Harness) -> tuple[list[str], list[list[str]]]:
    """(the progress card as last shown, every version of it shown) in the admin chat."""
    posted = [s for s in harness.connector.in_conversation(ADMIN_CHAT.conversation_id)
              if s.cards and any(x.startswith("Adopting ") for x in texts(s.cards[0]))]
    assert len(posted) == 1, f"expected one progress card, got {len(posted)}"
    versions = [texts(posted[0].cards[0])] + [texts(u.cards[0]) for u in harness.connector.updated
                                              if u.activity_id == posted[0].activity_id]
    return versions[-1], versions


async def items(harness: Harness, run_id: str) -> dict[str, Any]:
    return {i.account_id: i for i in await AdoptBook(harness.client.app[STORE]).items(run_id)}


def shown_everywhere(harness: Harness) -> str:
    """Everything RootMail posted, answered or updated in any conversation, as words and as JSON."""
    cards = [c for s in harness.connector.sent for c in s.cards] + harness.answered
    cards += [c for u in harness.connector.updated for c in u.cards]
    return "\n".join("\n".join(texts(card)) + str(card) for card in cards)
