"""Reconciliation with AWS Organizations, against moto's in-process Organizations and STS (no real AWS)."""
from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

import boto3
import pytest
from aiohttp import web
from moto import mock_aws
from moto.core.models import override_responses_real_send

from app import STORE, create_app
from aws.organizations import OrganizationsAccounts
from core.model import AddressState
from core.adoption.reconcile import ACTOR, SyncFailed
from tests.cardcheck import texts, validate_cards
from tests.contract.conftest import address
from tests.fakes import teams
from tests.integration.conftest import Harness

ROLE = "arn:aws:iam::123456789012:role/RootMailOrgReader"


@pytest.fixture
def aws(microsoft):
    with mock_aws():
        # moto intercepts `requests` too and would send Microsoft's login URLs to the network: hand them on to the
        # login fakes (moto's documented way to share `requests` with another responses mock)
        override_responses_real_send(microsoft.mock)
        org = boto3.client("organizations", region_name="us-east-1")
        org.create_organization(FeatureSet="ALL")
        try:
            yield org
        finally:
            override_responses_real_send(None)


def open_account(org, email: str, name: str) -> str:
    return org.create_account(Email=email, AccountName=name)["CreateAccountStatus"]["AccountId"]


@pytest.fixture
async def rootmail(aiohttp_client, connector, make_settings, aws):
    settings = make_settings(ROOTMAIL_ORG_ROLE_ARN=ROLE, ROOTMAIL_ORG_SYNC_MINUTES="0",
                             ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id)
    harness = Harness(await aiohttp_client(create_app(settings, identities_verified=True)), connector)
    yield harness
    problems = [errors for errors in validate_cards(harness.every_card()) if errors]
    assert not problems, problems


async def seed(store, aws) -> dict[str, str]:
    """Accounts and addresses in every relation the sync knows; returns the account ids by role."""
    ids = {"vended": open_account(aws, "aws+vended@example.com", "Payments Prod"),
           "closing": open_account(aws, "aws+closing@example.com", "Old Sandbox"),
           "retired": open_account(aws, "aws+retired@example.com", "Zombie"),
           "legacy": open_account(aws, "legacy-root@corp.example", "Legacy Billing")}
    aws.close_account(AccountId=ids["closing"])
    await store.create_address(address("aws+vended@example.com", account_name="Payments Prod"))
    await store.create_address(address("aws+closing@example.com", account_id=ids["closing"]))
    await store.create_address(address("aws+gone@example.com", account_id="999999999999"))
    retired = await store.create_address(address("aws+retired@example.com"))
    await store.update_address(replace(retired, state=AddressState.RETIRED))
    for i in range(25):  # more than one ListAccounts page (20)
        await store.create_address(address(f"aws+bulk-{i:02d}@example.com", account_name=f"Bulk {i}"))
        ids[f"bulk-{i}"] = open_account(aws, f"aws+bulk-{i:02d}@example.com", f"Bulk {i}")
    return ids


async def test_the_source_lists_every_account_across_pages_through_the_assumed_role(aws):
    for i in range(45):
        open_account(aws, f"aws+n{i}@example.com", f"N {i}")
    source = OrganizationsAccounts(ROLE)

    accounts = await source.accounts()

    assert len(accounts) == 46  # with the management account
    assert {a.state for a in accounts} == {"ACTIVE"}
    assert sum(a.email.startswith("aws+n") for a in accounts) == 45


async def test_boto3_runs_off_the_event_loop(aws, monkeypatch):
    threads = []
    listing = OrganizationsAccounts._list
    monkeypatch.setattr(OrganizationsAccounts, "_list",
                        lambda self: threads.append(threading.current_thread()) or listing(self))
    ticks = 0

    async def heartbeat():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    beating = asyncio.create_task(heartbeat())
    await OrganizationsAccounts(ROLE).accounts()
    beating.cancel()

    assert threads and threads[0] is not threading.main_thread()
    assert ticks > 1  # the loop kept running while boto3 worked


STS_DENIED = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
              '<Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message></Error>'
              '<RequestId>4f3c</RequestId></ErrorResponse>')


async def test_a_role_rootmail_may_not_assume_fails_the_sync_with_what_to_check(aiohttp_server, monkeypatch):
    calls = []

    async def sts(request: web.Request) -> web.Response:
        calls.append((await request.post()).get("Action"))
        return web.Response(status=403, text=STS_DENIED, content_type="text/xml")

    app = web.Application()
    app.router.add_post("/", sts)
    server = await aiohttp_server(app)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SyncFailed) as failed:
        await OrganizationsAccounts(ROLE, endpoint_url=str(server.make_url("/"))).accounts()

    assert calls == ["AssumeRole"]
    assert f"could not assume {ROLE} (AccessDenied)" in str(failed.value) and "trust policy" in str(failed.value)


async def test_sync_links_by_email_and_reports_every_kind_of_drift(rootmail, aws):
    ids = await seed(rootmail.store, aws)

    card = await rootmail.say("sync", teams.PERSONAL)

    store = rootmail.store
    assert (await store.get_address("aws+vended@example.com")).account_id == ids["vended"]
    assert (await store.get_address("aws+bulk-24@example.com")).account_id == ids["bulk-24"]
    assert (await store.audit_for("aws+vended@example.com", 1))[0].actor == ACTOR
    shown = texts(card)
    assert "RootMail and AWS Organizations disagree" in shown
    assert "Accounts whose root e-mail RootMail does not know (2)" in shown  # legacy and the management account
    assert f"Legacy Billing ({ids['legacy']})" in shown and "legacy-root@corp.example" in shown
    assert "Accounts using an address RootMail has retired (1)" in shown and "aws+retired@example.com" in shown
    assert "RootMail addresses whose account is closed or gone (2)" in shown
    assert "account 999999999999 missing" in shown
    assert any(s.startswith(f"account {ids['closing']} ") for s in shown)
    assert "Linked by this sync (26)" in shown and "and 18 more" in shown
    facts = dict(zip(shown[shown.index("Accounts in the organization"):][::2],
                     shown[shown.index("Accounts in the organization") + 1:][::2]))
    assert facts["Accounts in the organization"] == "30" and facts["RootMail addresses"] == "29"


async def test_a_second_sync_links_nothing_new_and_reports_the_same_drift(rootmail, aws):
    await seed(rootmail.store, aws)
    await rootmail.say("sync", teams.PERSONAL)

    card = await rootmail.say("sync", teams.PERSONAL)

    shown = texts(card)
    assert not any(s.startswith("Linked by this sync (") for s in shown)
    assert "Accounts whose root e-mail RootMail does not know (2)" in shown


async def test_sync_is_for_admins_only(rootmail, aws):
    await rootmail.say("help", teams.PERSONAL)
    card = await rootmail.say("sync", teams.PLATFORM)

    assert "Only admins can run sync" in texts(card)


async def test_sync_without_a_role_says_how_to_set_it_up(aiohttp_client, connector, make_settings):
    settings = make_settings(ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id)
    harness = Harness(await aiohttp_client(create_app(settings, identities_verified=True)), connector)

    card = await harness.say("sync", teams.PERSONAL)

    assert "Sync with AWS Organizations is not set up" in texts(card)
    assert validate_cards([card]) == [[]]


async def test_the_schedule_posts_drift_to_the_admin_conversation_once_per_change(aiohttp_client, connector,
                                                                                     make_settings, aws):
    settings = make_settings(ROOTMAIL_ORG_ROLE_ARN=ROLE, ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id)
    harness = Harness(await aiohttp_client(create_app(settings, org_sync_interval=0.3, identities_verified=True)), connector)
    await harness.say("help", teams.PERSONAL)  # RootMail knows the admin chat
    open_account(aws, "legacy-root@corp.example", "Legacy Billing")
    before = len(connector.in_conversation(teams.PERSONAL.conversation_id))

    await connector.wait_for(len(connector.sent) + 1, timeout=5)
    await asyncio.sleep(1.0)  # three more slots: the same drift is not posted again

    posted = connector.in_conversation(teams.PERSONAL.conversation_id)[before:]
    assert len(posted) == 1
    assert "RootMail and AWS Organizations disagree" in texts(posted[0].cards[0])
    assert await harness.client.app[STORE].get_flag("org-sync:reported")
    assert validate_cards([posted[0].cards[0]]) == [[]]
