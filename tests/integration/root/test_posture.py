"""`root status`: the organization's root posture for admins, each channel its own accounts, `lookup` one account's;
read through root sessions scoped to IAMAuditRootUserCredentials, against the fake organization."""
from __future__ import annotations

import asyncio

from tests.cardwalk import actions, text
from tests.fakes import teams
from tests.integration.root.helpers import (ADMIN_CHAT, DATA, PAYMENTS, SANDBOX, org, own, start)  # noqa: F401
from wiring.root_access import RootTuning
from tests.integration.root.helpers import FAST_AUDIT, FAST_TASKS


async def test_admins_see_how_many_member_accounts_still_have_root_credentials(start, org):
    harness = await start()

    card = await harness.say("root status", ADMIN_CHAT)

    shown = text(card)
    assert "2 of 3 member accounts still have root credentials" in shown
    assert "Payments Prod (222222222222)" in shown and "password, MFA devices" in shown
    assert "Old Sandbox (444444444444)" in shown and "access keys, signing certificates" in shown
    assert "Data Lake (333333333333)" not in shown  # clean accounts are counted, not listed
    assert "Centralized root access: RootCredentialsManagement, RootSessions" in shown
    sessions = [c for c in org.of("AssumeRoot")]
    assert sorted(c.params["TargetPrincipal"] for c in sessions) == [PAYMENTS, DATA, SANDBOX]  # never the management
    assert {c.params["TaskPolicyArn.arn"] for c in sessions} == {
        "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}
    assert {int(c.params["DurationSeconds"]) for c in sessions} == {60}
    # only reads: no call of any root session changed anything
    root_calls = {c.operation for c in org.calls if c.key_id.startswith("ASIAROOT0")}
    assert root_calls == {"GetLoginProfile", "ListAccessKeys", "ListMFADevices", "ListSigningCertificates"}
    assert org.root(PAYMENTS).password and org.root(SANDBOX).access_keys


async def test_a_channel_sees_only_its_own_accounts_and_lookup_shows_one(start, org):
    harness = await start()
    await own(harness, org, PAYMENTS)
    await own(harness, org, DATA, teams.PAYMENTS)
    await harness.say("root status", ADMIN_CHAT)

    mine = text(await harness.say("root status", teams.PLATFORM, teams.BOB))
    looked_up = await harness.say(f"lookup {PAYMENTS}", teams.PLATFORM, teams.BOB)

    assert "1 of 1 of your accounts still have root credentials" in mine and "Payments Prod (222222222222)" in mine
    assert DATA not in mine and SANDBOX not in mine
    assert len(org.of("AssumeRoot")) == 3  # a channel reads the last audit; only admins make RootMail ask AWS
    assert "Root credentials: password, MFA devices" in text(looked_up)
    assert {"Delete root credentials", "Allow password recovery"} <= {a["title"] for a in actions(looked_up)}
    elsewhere = await harness.say(f"lookup {PAYMENTS}", teams.PAYMENTS, teams.BOB)
    assert "Root credentials" not in text(elsewhere)  # another channel only learns who owns it


async def test_one_accounts_failure_never_stops_the_audit(start, org):
    org.deny_assume_root.add(DATA)  # an SCP keeps AssumeRoot out of this account
    org.throttled_accounts[SANDBOX] = 2  # throttled twice, then answered: retried with backoff
    harness = await start()

    shown = text(await harness.say("root status", ADMIN_CHAT))

    assert "2 of 3 member accounts still have root credentials" in shown  # the two that could be read
    assert "Could not be read" in shown and "Data Lake (333333333333)" in shown
    assert "AWS STS refused AssumeRoot for account 333333333333" in shown and "service control policy" in shown
    assert "Old Sandbox (444444444444)" in shown and "Payments Prod (222222222222)" in shown
    assert [c.params["TargetPrincipal"] for c in org.of("AssumeRoot")].count(SANDBOX) == 3


async def test_an_account_that_stays_throttled_is_reported_as_throttled(start, org):
    org.throttled_accounts[SANDBOX] = 100
    harness = await start()

    shown = text(await harness.say("root status", ADMIN_CHAT))

    assert "throttled: AWS throttled AssumeRoot (Throttling)" in shown
    assert "1 of 3 member accounts still has root credentials" in shown  # the others were read


async def test_the_feature_being_off_is_named_with_the_command_that_enables_it(start, org):
    org.features = {"RootCredentialsManagement"}
    harness = await start()

    shown = text(await harness.say("root status", ADMIN_CHAT))

    assert "Root posture could not be read" in shown
    assert "RootSessions is off" in shown and "aws iam enable-organizations-root-sessions" in shown
    assert org.of("AssumeRoot") == []


async def test_a_role_outside_the_management_account_and_the_delegated_administrator_is_named(start, org):
    org.delegated = False
    harness = await start()

    shown = text(await harness.say("root status", ADMIN_CHAT))

    assert "AccountNotManagementOrDelegatedAdministrator" in shown
    assert "register-delegated-administrator --service-principal iam.amazonaws.com" in shown
    assert org.of("AssumeRoot") == []


async def test_root_status_is_not_set_up_without_the_role(start, org):
    harness = await start(ROOTMAIL_ROOT_ROLE_ARN="")

    assert "Root access is not set up" in text(await harness.say("root status", ADMIN_CHAT))
    assert org.calls == []


async def test_the_scheduled_audit_posts_the_posture_to_admins_only_when_it_changes(start, org):
    harness = await start(tuning=RootTuning(audit_seconds=0.3, audit=FAST_AUDIT, tasks=FAST_TASKS))

    async def posture_posts() -> list[str]:
        return [text(c) for c in harness.connector.in_conversation(ADMIN_CHAT.conversation_id)
                for c in c.cards if "AWS root posture" in text(c)]

    async def audits(n: int) -> None:
        while len(org.of("ListOrganizationsFeatures")) < n:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(audits(3), 20)  # three slots: the first is news, the next two are the same posture
    await asyncio.sleep(0.2)
    first = await posture_posts()
    assert len(first) == 1 and "2 of 3 member accounts still have root credentials" in first[0]

    org.root(SANDBOX).access_keys.clear()
    org.root(SANDBOX).certificates.clear()
    seen = len(org.of("ListOrganizationsFeatures"))
    await asyncio.wait_for(audits(seen + 2), 20)
    await asyncio.sleep(0.2)
    after = await posture_posts()
    assert len(after) == 2 and "1 of 3 member accounts still has root credentials" in after[1]


async def test_admins_asking_at_once_share_one_audit(start, org):
    harness = await start()

    answers = await asyncio.gather(harness.say("root status", ADMIN_CHAT),
                                   harness.say("root status", ADMIN_CHAT, teams.BOB))

    assert all("2 of 3 member accounts still have root credentials" in text(a) for a in answers)
    assert len(org.of("AssumeRoot")) == 3 and len(org.of("ListOrganizationsFeatures")) == 1
