"""Root tasks with approval: asked in the owning channel, approved by an admin who is not the requester, run in a
root session scoped to the task's own policy; the card shows request, approval, session and result, and the audit
has every step."""
from __future__ import annotations

import asyncio

from tests.cardwalk import action, text
from tests.fakes import teams
from tests.integration.protection_helpers import Clock
from tests.integration.root.helpers import (ADMIN_CHAT, CAROL, DATA, PAYMENTS, SANDBOX, admin_cards, ask, desk,
                                            org, own, start, task_id)  # noqa: F401

ROOT_TASK = "arn:aws:iam::aws:policy/root-task/"


async def test_deleting_root_credentials_is_asked_in_the_channel_approved_by_an_admin_and_run(start, org):
    harness = await start()
    address = await own(harness, org, PAYMENTS)

    asked = await ask(harness, f"{PAYMENTS} delete-credentials all --reason \"leaver had the password\"")

    shown = text(asked)
    assert "Root task: Delete root credentials" in shown and "waiting for an admin's approval" in shown
    assert org.of("AssumeRoot") == []  # nothing happens in AWS before the approval
    [request] = [c for c in admin_cards(harness) if "Root task: Delete root credentials" in text(c)]
    assert "Asked by\nBob Builder" in text(request) or "Bob Builder" in text(request)
    approve = action(request, "root.approve")

    answer = await harness.execute("root.approve", approve["data"], ADMIN_CHAT, teams.ALICE)

    done = text(answer)
    assert "Approved and done." in done and ": done" in done
    assert "Approved by" in done and "Alice Admin" in done
    assert "IAMDeleteRootUserCredentials" in done and "120 s" in done and f"rootmail-task-{task_id(answer)}" in done
    assert "Deleted the password, 0 access keys, 1 MFA device deactivated, 0 signing certificates" in done
    assert not org.root(PAYMENTS).password and org.root(PAYMENTS).mfa == []
    [session] = org.of("AssumeRoot")
    assert (session.params["TargetPrincipal"], session.params["TaskPolicyArn.arn"], session.params["DurationSeconds"]) \
        == (PAYMENTS, ROOT_TASK + "IAMDeleteRootUserCredentials", "120")
    role = [c for c in org.of("AssumeRole") if c.params["RoleSessionName"] == f"rootmail-task-{task_id(answer)}"]
    assert len(role) == 1  # CloudTrail's AssumeRoot event names the task
    # the card in the admin chat was updated in place, and the channel that asked heard the outcome
    updated = [u for u in harness.connector.updated if u.conversation_id == ADMIN_CHAT.conversation_id]
    assert updated and ": done" in text(updated[-1].cards[0]) and not any(
        a.get("verb") == "root.approve" for u in updated[-1:] for a in u.cards[0].get("actions", []))
    outcome = [s for s in harness.connector.in_conversation(teams.PLATFORM.conversation_id)
               if s.cards and ": done" in text(s.cards[0])]
    assert len(outcome) == 1
    history = [(e.actor, e.action) for e in reversed(await harness.store.audit_for(address, 20))]
    assert history[-3:] == [("aad-bob", "root-task-requested"), ("aad-alice", "root-task-approved"),
                            ("rootmail-root-access", "root-task-done")]
    finished = (await harness.store.audit_for(address, 1))[0]
    assert finished.detail["policy"] == "IAMDeleteRootUserCredentials" and finished.detail["seconds"] == 120
    audit_card = text(await harness.say(f"audit {address}", teams.PLATFORM, teams.BOB))
    assert "Root task done" in audit_card and "Root task approved" in audit_card  # in words (cards.protection)


async def test_each_kind_of_credential_can_be_deleted_on_its_own(start, org):
    harness = await start()
    await own(harness, org, SANDBOX)

    asked = await ask(harness, f"{SANDBOX} delete-credentials access-keys")
    answer = await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE)

    assert "Deleted 1 access key" in text(answer)
    assert org.root(SANDBOX).access_keys == [] and org.root(SANDBOX).certificates  # the certificate stays
    calls = {c.operation for c in org.calls if c.key_id.startswith("ASIAROOT0")}
    assert calls == {"ListAccessKeys", "DeleteAccessKey"}


async def test_the_requester_cannot_approve_their_own_task(start, org):
    harness = await start()
    await own(harness, org, PAYMENTS)
    asked = await ask(harness, f"{PAYMENTS} delete-credentials", teams.PLATFORM, teams.ALICE)  # an admin asks

    answer = await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE)

    assert "two-person rule" in text(answer) and "waiting for an admin's approval" in text(answer)
    assert org.of("AssumeRoot") == [] and org.root(PAYMENTS).password
    refusal = (await harness.store.audit_for((await harness.store.get_by_account_id(PAYMENTS)).address, 1))[0]
    assert (refusal.action, refusal.actor, refusal.detail["action"]) == ("refused", "aad-alice", "root-task")
    other = await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, CAROL)
    assert "Approved and done." in text(other)


async def test_without_the_two_person_rule_an_admin_may_approve_their_own(start, org):
    harness = await start(ROOTMAIL_ROOT_TWO_PERSON="false")
    await own(harness, org, PAYMENTS)
    asked = await ask(harness, f"{PAYMENTS} delete-credentials password", teams.PLATFORM, teams.ALICE)

    answer = await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE)

    assert "Approved and done." in text(answer) and not org.root(PAYMENTS).password


async def test_only_an_admin_approves_and_only_the_owning_channel_asks(start, org):
    harness = await start()
    await own(harness, org, PAYMENTS)
    asked = await ask(harness, f"{PAYMENTS} delete-credentials")

    by_member = await harness.execute("root.approve", {"task": task_id(asked)}, teams.PLATFORM, teams.BOB)
    from_elsewhere = await ask(harness, f"{PAYMENTS} delete-credentials", teams.PAYMENTS, teams.BOB)
    unowned = await ask(harness, f"{DATA} delete-credentials", teams.PLATFORM, teams.BOB)

    assert "Only a RootMail admin may approve root tasks." in text(by_member)
    assert "Only the channel that owns this AWS account's root address" in text(from_elsewhere)
    assert "Only the channel that owns" in text(unowned)
    assert org.of("AssumeRoot") == []


async def test_a_declined_task_does_nothing_in_aws_and_cannot_be_approved_after(start, org):
    harness = await start()
    await own(harness, org, PAYMENTS)
    asked = await ask(harness, f"{PAYMENTS} delete-credentials")

    declined = await harness.execute("root.decline", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE)
    late = await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, CAROL)

    assert "Declined; nothing was done in AWS." in text(declined)
    assert "This task was declined already" in text(late)
    assert org.of("AssumeRoot") == [] and org.root(PAYMENTS).password


async def test_two_admins_pressing_approve_at_once_run_the_task_once(start, org):
    harness = await start()
    await own(harness, org, PAYMENTS)
    asked = await ask(harness, f"{PAYMENTS} delete-credentials")

    answers = await asyncio.gather(*(harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, who)
                                     for who in (teams.ALICE, CAROL)))

    # the second press lost the race: it finds the decision taken, or the task approved already (a moment later)
    lost = ("Someone else decided this task", "This task was approved already")
    assert sorted(any(words in text(a) for words in lost) for a in answers) == [False, True]
    assert len(org.of("AssumeRoot")) == 1


async def test_unlocking_a_bucket_policy_uses_only_s3unlockbucketpolicy(start, org):
    org.buckets["payments-logs"] = (PAYMENTS, '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}')
    harness = await start()
    await own(harness, org, PAYMENTS)

    asked = await ask(harness, f"{PAYMENTS} unlock-bucket payments-logs")
    answer = await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE)

    assert "Deleted the bucket policy of payments-logs" in text(answer)
    assert org.buckets["payments-logs"] == (PAYMENTS, None)
    [session] = org.of("AssumeRoot")
    assert session.params["TaskPolicyArn.arn"] == ROOT_TASK + "S3UnlockBucketPolicy"


async def test_unlocking_a_queue_policy_uses_only_sqsunlockqueuepolicy(start, org):
    url = f"https://sqs.us-east-1.amazonaws.com/{PAYMENTS}/payments-events"
    org.queues[url] = '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*"}]}'
    harness = await start()
    await own(harness, org, PAYMENTS)

    asked = await ask(harness, f"{PAYMENTS} unlock-queue payments-events")
    answer = await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE)

    assert "Deleted the queue policy of payments-events" in text(answer) and org.queues[url] == ""
    assert org.of("AssumeRoot")[0].params["TaskPolicyArn.arn"] == ROOT_TASK + "SQSUnlockQueuePolicy"


async def test_a_bucket_the_account_does_not_have_fails_with_awss_reason(start, org):
    harness = await start()
    await own(harness, org, PAYMENTS)

    asked = await ask(harness, f"{PAYMENTS} unlock-bucket no-such-bucket")
    answer = await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE)

    shown = text(answer)
    assert "the task failed" in shown and "has no such S3 bucket (NoSuchBucket)" in shown
    assert "S3UnlockBucketPolicy" in shown  # the root session was opened, and the card says which


async def test_refusals_name_the_reason_before_any_root_session(start, org):
    org.accounts["555555555555"] = type(org.accounts[PAYMENTS])("555555555555", "Frozen", "f@corp.example", "SUSPENDED")
    harness = await start()

    management = text(await ask(harness, "111111111111 delete-credentials", ADMIN_CHAT, teams.ALICE))
    outsider = text(await ask(harness, "999999999999 delete-credentials", ADMIN_CHAT, teams.ALICE))
    suspended = text(await ask(harness, "555555555555 delete-credentials", ADMIN_CHAT, teams.ALICE))
    org.features.discard("RootCredentialsManagement")
    disabled = text(await ask(harness, f"{DATA} delete-credentials", ADMIN_CHAT, teams.ALICE))
    org.delegated = False
    delegated = text(await ask(harness, f"{DATA} unlock-bucket b-1", ADMIN_CHAT, teams.ALICE))
    org.delegated, org.features = True, {"RootCredentialsManagement", "RootSessions"}
    org.throttled["ListOrganizationsFeatures"] = 50
    throttled = text(await ask(harness, f"{DATA} delete-credentials", ADMIN_CHAT, teams.ALICE))

    assert "is the organization's management account" in management
    assert "999999999999 is not an active member of the organization" in outsider
    assert "555555555555 is not an active member" in suspended
    assert "RootCredentialsManagement is off" in disabled and "enable-organizations-root-credentials-management" in disabled
    assert "AccountNotManagementOrDelegatedAdministrator" in delegated
    assert "AWS throttled ListOrganizationsFeatures" in throttled
    assert org.of("AssumeRoot") == []


async def test_a_request_that_is_not_complete_says_what_is_missing(start, org):
    harness = await start()

    assert "Name the task" in text(await ask(harness, f"{PAYMENTS} reboot", ADMIN_CHAT, teams.ALICE))
    assert "Not an S3 bucket name" in text(await ask(harness, f"{PAYMENTS} unlock-bucket Bad_Bucket", ADMIN_CHAT,
                                                     teams.ALICE))
    assert "belongs to AWS account 333333333333" in text(await ask(
        harness, f"{PAYMENTS} unlock-queue https://sqs.us-east-1.amazonaws.com/333333333333/q", ADMIN_CHAT, teams.ALICE))
    assert "Which root task?" in text(await ask(harness, "", ADMIN_CHAT, teams.ALICE))
    assert org.calls == []


async def test_a_task_that_fails_at_run_time_is_on_record_with_the_session_it_got(start, org):
    harness = await start()
    await own(harness, org, PAYMENTS)
    asked = await ask(harness, f"{PAYMENTS} delete-credentials")
    org.deny_assume_root.add(PAYMENTS)  # an SCP changed while the task waited

    answer = await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE)

    shown = text(answer)
    assert "the task failed" in shown and "AWS STS refused AssumeRoot" in shown
    assert "No root session was opened." in shown
    failed = (await harness.store.audit_for((await harness.store.get_by_account_id(PAYMENTS)).address, 1))[0]
    assert failed.action == "root-task-failed" and failed.detail["refusal"] == "refused"
    task = await desk(harness).book.task(task_id(asked))
    assert task.state.value == "failed"


async def test_every_task_gets_its_own_short_root_session_used_only_while_it_runs(start, org):
    org.buckets["payments-logs"] = (PAYMENTS, "{}")
    harness = await start()
    await own(harness, org, PAYMENTS)

    for words in ("unlock-bucket payments-logs", "delete-credentials mfa"):
        asked = await ask(harness, f"{PAYMENTS} {words}")
        await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE)

    sessions = list(org.sessions.values())
    assert len(sessions) == 2 and len({s.key for s in sessions}) == 2  # never shared between tasks
    assert [s.policy for s in sessions] == ["S3UnlockBucketPolicy", "IAMDeleteRootUserCredentials"]
    for session in sessions:
        assert session.expires - session.issued == 120  # ROOTMAIL_ROOT_SESSION_SECONDS, at most 900
        assert session.calls and all(at <= session.expires for _, at in session.calls)
    assert max(at for _, at in sessions[0].calls) < min(at for _, at in sessions[1].calls)  # dropped with its task
    assert all(c.key_id != sessions[0].key for c in org.calls if c.operation in ("ListMFADevices",
                                                                                "DeactivateMFADevice"))


async def test_the_requester_may_withdraw_and_a_request_nobody_approves_expires(start, org):
    clock = Clock()
    harness = await start(clock=clock)
    await own(harness, org, PAYMENTS)
    withdrawn = await ask(harness, f"{PAYMENTS} delete-credentials")
    waiting = await ask(harness, f"{PAYMENTS} delete-credentials password")

    answer = await harness.execute("root.decline", {"task": task_id(withdrawn)}, teams.PLATFORM, teams.BOB)
    clock.advance(hours=25)
    late = await harness.execute("root.approve", {"task": task_id(waiting)}, ADMIN_CHAT, teams.ALICE)

    assert "Declined; nothing was done in AWS." in text(answer)
    assert "Nobody approved this task in time; it expired." in text(late) and "expired" in text(late)
    address = (await harness.store.get_by_account_id(PAYMENTS)).address
    assert (await harness.store.audit_for(address, 1))[0].action == "root-task-expired"
    assert org.of("AssumeRoot") == [] and org.root(PAYMENTS).password


async def test_a_throttled_task_is_tried_again_and_fails_as_throttled_only_when_aws_keeps_refusing(start, org):
    harness = await start()
    address = await own(harness, org, PAYMENTS)
    org.throttled_accounts[PAYMENTS] = 1

    first = await ask(harness, f"{PAYMENTS} delete-credentials mfa")
    done = text(await harness.execute("root.approve", {"task": task_id(first)}, ADMIN_CHAT, teams.ALICE))
    org.throttled_accounts[PAYMENTS] = 100
    second = await ask(harness, f"{PAYMENTS} delete-credentials password")
    failed = text(await harness.execute("root.approve", {"task": task_id(second)}, ADMIN_CHAT, teams.ALICE))

    assert "Approved and done." in done and org.root(PAYMENTS).mfa == []
    assert "the task failed" in failed and "AWS throttled AssumeRoot (Throttling)" in failed
    assert org.root(PAYMENTS).password  # nothing was done
    assert (await harness.store.audit_for(address, 1))[0].detail["refusal"] == "throttled"
