"""Root password recovery end to end: request, approval, AssumeRoot with IAMCreateRootUserPassword, CreateLoginProfile,
"Forgot password" mails the reset link over SMTP, RootMail posts it, and only the approved requester may reveal it,
only within the approved window; afterwards the root credentials are deleted again, as the request said."""
from __future__ import annotations

import asyncio

from core.model import MailState
from tests.cardwalk import action, text
from tests.fakes import teams
from tests.integration.protection_helpers import Clock, everything_shown, settled
from tests.integration.root.helpers import (ADMIN_CHAT, DATA, DAVE, PAYMENTS, ask, desk, org, own, start,  # noqa: F401
                                            task_id)

ROOT_TASK = "arn:aws:iam::aws:policy/root-task/"


async def _reset_mail_card(harness, org, account_id: str) -> dict:
    before = len(harness.connector.sent)
    assert await org.forgot_password(account_id)  # the requester used "Forgot password" on the root sign-in page
    await org.mails_sent()
    await settled(harness, MailState.FORWARDED)
    for _ in range(500):
        posted = [s for s in harness.connector.sent[before:] if s.conversation_id == teams.PLATFORM.conversation_id
                  and s.cards and "Root password reset" in text(s.cards[0])]
        if posted:
            return posted[0].cards[0]
        await asyncio.sleep(0.02)
    raise AssertionError("the reset mail was not posted in the owning channel")


async def test_only_the_approved_requester_gets_the_reset_link_and_only_within_the_window(start, org):
    clock = Clock()
    harness = await start(clock=clock, ROOTMAIL_REVEAL_MINUTES="60")
    harness.connector.rosters[teams.PLATFORM.team_id] = {teams.BOB["id"], DAVE["id"], teams.ALICE["id"]}
    address = await own(harness, org, DATA)

    asked = await ask(harness, f"{DATA} allow-recovery --minutes 10 --remove-after --reason \"close the account\"")
    assert "Recovery window\n10 minutes after approval" in text(asked)
    approved = await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE)

    shown = text(approved)
    assert "Approved and done." in shown and "Only Bob Builder may reveal the reset link, until" in shown
    assert "The root credentials are deleted again when the window closes." in shown
    [session] = org.of("AssumeRoot")
    assert session.params["TaskPolicyArn.arn"] == ROOT_TASK + "IAMCreateRootUserPassword"
    [created] = org.of("CreateLoginProfile")
    assert "Password" not in created.params and "UserName" not in created.params  # omitted in a root session
    assert org.root(DATA).password

    card = await _reset_mail_card(harness, org, DATA)
    reveal = action(card, "reveal")
    stored = (await harness.store.recent_mails(address, 1))[0]
    assert stored.kind == "password_reset" and stored.secret

    # Reveal answers the presser alone, in words (bot/protect.py)
    by_teammate = (await harness.press("reveal", reveal["data"], teams.PLATFORM, DAVE)).message
    by_admin = (await harness.press("reveal", reveal["data"], ADMIN_CHAT, teams.ALICE)).message
    assert "belongs to the root password recovery Bob Builder asked for" in by_teammate
    assert "belongs to the root password recovery Bob Builder asked for" in by_admin  # admins too
    assert harness.connector.created == []

    by_requester = (await harness.press("reveal", reveal["data"], teams.PLATFORM, teams.BOB)).message
    assert "Sent to you in your private chat with RootMail." in by_requester
    [private] = harness.connector.in_private_chat_with(teams.BOB["id"])
    link = next(a["url"] for a in private.cards[0]["actions"] if a["type"] == "Action.OpenUrl")
    assert link.startswith("https://signin.aws.amazon.com/resetpassword?type=RootUser&token=")
    assert link not in everything_shown(harness)  # nowhere but Bob's private chat

    clock.advance(minutes=11)  # the approved window closed
    late = (await harness.press("reveal", reveal["data"], teams.PLATFORM, teams.BOB)).message
    assert "The approved recovery window has closed" in late
    assert len(harness.connector.in_private_chat_with(teams.BOB["id"])) == 1

    async def cleaned() -> None:
        while org.root(DATA).password:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(cleaned(), 20)  # deleted again, in a root session of its own
    task = await desk(harness).wait(task_id(asked))
    for _ in range(100):
        task = await desk(harness).book.task(task.id)
        if task.follow_up.startswith("done"):
            break
        await asyncio.sleep(0.05)
    assert task.follow_up.startswith("done: Deleted the password")
    cleanup = [c for c in org.of("AssumeRole") if c.params["RoleSessionName"] == f"rootmail-task-{task.id}-cleanup"]
    assert len(cleanup) == 1
    assert org.of("AssumeRoot")[-1].params["TaskPolicyArn.arn"] == ROOT_TASK + "IAMDeleteRootUserCredentials"
    history = [(e.actor, e.action) for e in reversed(await harness.store.audit_for(address, 30))]
    assert history[1:] == [("aad-bob", "root-task-requested"), ("aad-alice", "root-task-approved"),
                           ("rootmail-root-access", "root-task-done"), ("aad-dave", "refused"),
                           ("aad-alice", "refused"), ("aad-bob", "reveal"), ("aad-bob", "refused"),
                           ("rootmail-root-access", "root-recovery-closed")]


async def test_a_reset_mail_outside_any_recovery_follows_the_usual_rules(start, org):
    harness = await start(ROOTMAIL_REVEAL_MINUTES="60")
    harness.connector.rosters[teams.PLATFORM.team_id] = {DAVE["id"]}
    await own(harness, org, PAYMENTS)  # it has a password: anyone can use "Forgot password"

    card = await _reset_mail_card(harness, org, PAYMENTS)
    answer = (await harness.press("reveal", action(card, "reveal")["data"], teams.PLATFORM, DAVE)).message

    assert "Sent to you in your private chat with RootMail." in answer


async def test_recovery_is_refused_while_the_root_user_has_credentials(start, org):
    harness = await start()
    await own(harness, org, PAYMENTS)

    asked = await ask(harness, f"{PAYMENTS} allow-recovery")
    answer = text(await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE))

    assert "already has a password (EntityAlreadyExists)" in answer and "delete them first" in answer
    assert not await desk(harness).book.grants((await harness.store.get_by_account_id(PAYMENTS)).address)


async def test_recovery_needs_the_root_email_to_be_a_rootmail_address(start, org):
    harness = await start()

    answer = text(await ask(harness, f"{DATA} allow-recovery", ADMIN_CHAT, teams.ALICE))

    assert "needs the account's root e-mail to be an active RootMail address" in answer
    assert org.of("AssumeRoot") == []
