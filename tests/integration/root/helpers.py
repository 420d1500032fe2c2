"""Shared steps of the centralized root access tests: RootMail with its SMTP inbox, botocore pointed at the fake AWS
organization with root access (tests/fakes/root_access.py), the accounts' addresses owned by the Platform channel."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app import INBOX, SERVICES, create_app
from aws.root.client import RootAccessClient
from core.root_access.posture import AuditPolicy
from core.root_access.tasks import TaskRules
from tests.cardcheck import actions, validate_cards
from tests.fakes import teams
from tests.fakes.aws_account import runner_keys
from tests.fakes.root_access import RootOrg
from tests.integration.conftest import Harness
from tests.integration.protection_helpers import Clock
from tests.integration.test_bot_commands import allocate
from wiring.root_access import RootTuning

ROOT_ROLE = "arn:aws:iam::111111111111:role/RootMailRootAccess"
ADMIN_CHAT = teams.PERSONAL
PAYMENTS, DATA, SANDBOX = "222222222222", "333333333333", "444444444444"
CAROL = {"id": "29:carol", "name": "Carol Admin", "aadObjectId": "aad-carol"}
DAVE = {"id": "29:dave", "name": "Dave Dev", "aadObjectId": "aad-dave"}
ADMINS = "aad-alice,aad-carol"
FAST_AUDIT = AuditPolicy(concurrency=4, session_seconds=60, retries=3, backoff=timedelta(milliseconds=5),
                         max_backoff=timedelta(milliseconds=20))
FAST_TASKS = TaskRules(retries=2, backoff=timedelta(milliseconds=5))


@pytest.fixture
async def org(aiohttp_server, monkeypatch) -> RootOrg:
    """Three member accounts: Payments with a password and an MFA device, Data clean, Sandbox with an access key and
    a signing certificate; the management account 111111111111."""
    runner_keys(monkeypatch)
    fake = RootOrg()
    fake.add(PAYMENTS, "Payments Prod", "payments-root@corp.example")
    fake.add(DATA, "Data Lake", "dl-aws@corp.example")
    fake.add(SANDBOX, "Old Sandbox", "sandbox@corp.example")
    fake.root(PAYMENTS).password = True
    fake.root(PAYMENTS).mfa.append(f"arn:aws:iam::{PAYMENTS}:mfa/root-account-mfa-device")
    fake.root(SANDBOX).access_keys.append("AKIAROOTKEY0000SAND")
    fake.root(SANDBOX).certificates.append("CERTROOTSANDBOX00000000000000001")
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/"))
    return fake


@pytest.fixture
async def start(aiohttp_client, connector, make_settings, org):
    """`await start(clock=..., tuning=..., **env)`: RootMail with root access against `org`; cards checked at the end."""
    started: list[Harness] = []

    async def run(clock: Clock | None = None, tuning: RootTuning | None = None, **env: str) -> Harness:
        settings = make_settings(**({
            "ROOTMAIL_ADMIN_CONVERSATION": ADMIN_CHAT.conversation_id, "ROOTMAIL_MAIL_SOURCE": "smtp",
            "ROOTMAIL_ROOT_ROLE_ARN": ROOT_ROLE, "ROOTMAIL_ROOT_AUDIT_MINUTES": "0", "ROOTMAIL_ADMINS": ADMINS,
            "ROOTMAIL_ROOT_SESSION_SECONDS": "120"} | env))
        app = create_app(settings, clock=clock or Clock(),
                         root_access_api=RootAccessClient(ROOT_ROLE, endpoint_url=org.url, attempts=1),
                         root_tuning=tuning or RootTuning(audit=FAST_AUDIT, tasks=FAST_TASKS, follow_up_seconds=0.05))
        harness = Harness(await aiohttp_client(app), connector)
        connector.installed |= {teams.ALICE["id"], teams.BOB["id"], DAVE["id"], CAROL["id"]}  # the app, personal scope
        org.smtp = ("127.0.0.1", app[INBOX].port)
        await harness.say("help", ADMIN_CHAT)  # RootMail learns the admin conversation, as when it is installed there
        started.append(harness)
        return harness

    yield run
    cards = [c for h in started for c in h.every_card()] + [c for u in connector.updated for c in u.cards]
    problems = {i: e for i, e in enumerate(validate_cards(cards)) if e} if cards else {}
    assert not problems, f"the bot sent cards Teams would reject: {problems}"


async def own(harness: Harness, org: RootOrg, account_id: str, where: teams.Where = teams.PLATFORM) -> str:
    """The channel gets a RootMail address linked to the account, and AWS uses it as the root e-mail."""
    await allocate(harness, where, account_name=org.accounts[account_id].name, account_id=account_id)
    record = await harness.store.get_by_account_id(account_id)
    org.accounts[account_id].email = record.address
    return record.address


def desk(harness: Harness):
    return harness.client.app[SERVICES].root.desk


async def ask(harness: Harness, words: str, where: teams.Where = teams.PLATFORM, user: dict = teams.BOB) -> dict:
    """`root-task <words>` said in `where`; returns RootMail's reply there (the admins' card is posted meanwhile)."""
    before = len(harness.connector.sent)
    await harness.say(f"root-task {words}", where, user)
    return next(s.cards[0] for s in harness.connector.sent[before:]
                if s.conversation_id.startswith(where.conversation_id) and s.reply_to is not None and s.cards)


def task_id(card: dict[str, Any]) -> str:
    return next(a["data"]["task"] for a in actions(card) if "task" in a.get("data", {}))


def admin_cards(harness: Harness) -> list[dict[str, Any]]:
    return [s.cards[0] for s in harness.connector.in_conversation(ADMIN_CHAT.conversation_id) if s.cards]
