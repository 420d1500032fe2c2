"""`adopt` when things go wrong: codes that never come, wrong or expired codes, forged or misdirected code mail,
trusted access off, and AWS throttling. Every failure ends with a reason on the progress card and in the audit."""
from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from email.message import EmailMessage

from app import ADOPTER
from core.adoption.states import TRUSTED_ACCESS_OFF, Step
from core.adoption.book import AdoptBook
from core.model import MailState
from scripts.demo_mail import build_message, send
from tests.integration.adopt.helpers import (FAST, SHORT, adopt, items, org, progress,  # noqa: F401
                                             shown_everywhere, start)

LEGACY = "222222222222"


async def moved(harness, org, account_id: str) -> bool:
    record = await harness.store.get_by_account_id(account_id)
    return record is not None and org.accounts[account_id].email == record.address


async def nothing_pending(harness) -> None:
    store = harness.store
    assert await store.flags_with_prefix("adopt:address:", 10) == []
    assert await store.flags_with_prefix("adopt:account:", 10) == []
    assert await store.count_mails("received") == 0 and await store.count_mails("failed") == 0


async def test_a_code_that_never_arrives_is_asked_for_once_more(start, org):
    org.drop_codes[LEGACY] = 1
    harness = await start(SHORT)

    run_id = await adopt(harness, LEGACY)

    assert await moved(harness, org, LEGACY)
    assert len(org.of("StartPrimaryEmailUpdate")) == 2 and len(org.of("AcceptPrimaryEmailUpdate")) == 1
    requested = [e for e in await harness.store.audit_for(org.accounts[LEGACY].email, 20)
                 if e.action == "adopt-code-requested"]
    assert [e.detail["attempt"] for e in reversed(requested)] == [1, 2]
    assert (await items(harness, run_id))[LEGACY].step is Step.DONE
    await nothing_pending(harness)


async def test_a_code_that_never_arrives_twice_fails_the_account_and_the_rest_goes_on(start, org):
    org.drop_codes[LEGACY] = 2
    harness = await start(SHORT)

    run_id = await adopt(harness)

    item = (await items(harness, run_id))[LEGACY]
    assert item.step is Step.FAILED and item.reason == "no code arrived within 3 s, 2 times"
    assert org.accounts[LEGACY].email == "billing-root@corp.example"  # AWS kept the old root e-mail
    record = await harness.store.get_address(item.address)
    assert record.account_id is None  # the address waits for a later run; it was never linked
    assert await moved(harness, org, "333333333333") and await moved(harness, org, "444444444444")
    card, _ = progress(harness)
    assert "Adopted 2 of 4 AWS accounts" in card and "no code arrived within 3 s, 2 times" in card
    assert [e.action for e in await harness.store.audit_for(item.address, 1)] == ["adopt-failed"]
    await nothing_pending(harness)


async def test_a_later_run_reuses_the_address_of_a_failed_one(start, org):
    org.drop_codes[LEGACY] = 2
    harness = await start(SHORT)
    first = (await items(harness, await adopt(harness, LEGACY)))[LEGACY]

    second = (await items(harness, await adopt(harness, LEGACY)))[LEGACY]

    assert first.step is Step.FAILED and second.step is Step.DONE
    assert second.address == first.address and org.accounts[LEGACY].email == first.address


async def test_a_wrong_code_gets_a_new_one_and_the_move_goes_through(start, org):
    org.wrong_codes[LEGACY] = 1
    harness = await start()

    await adopt(harness, LEGACY)

    assert await moved(harness, org, LEGACY)
    accepts = org.of("AcceptPrimaryEmailUpdate")
    assert len(accepts) == 2 and len(org.of("StartPrimaryEmailUpdate")) == 2
    rejected = [e for e in await harness.store.audit_for(org.accounts[LEGACY].email, 20)
                if e.action == "adopt-code-rejected"]
    assert rejected[0].detail["reason"] == "ValidationException: The one-time password is not valid."
    assert all(code not in shown_everywhere(harness) for _, _, code in org.sent_codes)


async def test_codes_that_expire_twice_fail_the_account_with_aws_words(start, org):
    org.expire_codes[LEGACY] = 2
    harness = await start()

    run_id = await adopt(harness, LEGACY)

    item = (await items(harness, run_id))[LEGACY]
    assert item.step is Step.FAILED
    assert item.reason == ("AWS rejected the code 2 times (last: ValidationException: The one-time password has "
                           "expired.)")
    assert org.accounts[LEGACY].email == "billing-root@corp.example"
    mails = await harness.store.recent_mails(item.address, 10)
    assert [(m.state, m.secret) for m in mails] == [(MailState.CONSUMED, "")] * 2  # both codes used, then wiped
    await nothing_pending(harness)


async def test_a_forged_code_mail_is_quarantined_and_never_used(start, org):
    org.drop_codes[LEGACY] = 1  # the real first code is late: only the forgery is there
    harness = await start(SHORT)
    run_id = await adopt(harness, LEGACY, finish=False)
    address = await _waiting_address(harness, run_id)

    forged = build_message("email-update", address, LEGACY)
    del forged["Authentication-Results"]  # sent straight to RootMail, past the boundary: nobody vouches for it
    await asyncio.to_thread(send, forged, *org.smtp)
    await asyncio.wait_for(harness.client.app[ADOPTER].wait(run_id), 120)

    assert await moved(harness, org, LEGACY)
    forged_code = _code(forged)
    assert [c.params["Otp"] for c in org.of("AcceptPrimaryEmailUpdate")] == [org.sent_codes[-1][2]]
    assert forged_code != org.sent_codes[-1][2]
    quarantined = [m for m in await harness.store.recent_mails(address, 10) if m.state is MailState.QUARANTINED]
    assert len(quarantined) == 1 and quarantined[0].verdict == "unverified" and quarantined[0].secret == ""
    assert forged_code not in shown_everywhere(harness)


async def test_a_verified_code_mail_naming_another_account_is_set_aside(start, org):
    org.name_other_account[LEGACY] = "999999999999"
    harness = await start(SHORT)

    await adopt(harness, LEGACY)

    assert await moved(harness, org, LEGACY)
    assert len(org.of("AcceptPrimaryEmailUpdate")) == 1 and len(org.of("StartPrimaryEmailUpdate")) == 2
    ignored = [e for e in await harness.store.audit_for(org.accounts[LEGACY].email, 20)
               if e.action == "adopt-code-ignored"]
    assert len(ignored) == 1 and ignored[0].detail["reason"] == "names another AWS account (999999999999)"


async def test_trusted_access_off_fails_every_account_before_asking_aws(start, org):
    org.trusted_access = False
    harness = await start()

    run_id = await adopt(harness)

    assert org.of("StartPrimaryEmailUpdate") == []
    reasons = {i.reason for i in (await items(harness, run_id)).values() if i.account_id != org.management}
    assert reasons == {f"not eligible: {TRUSTED_ACCESS_OFF}"}
    card, _ = progress(harness)
    assert "Adopted 0 of 4 AWS accounts" in card and "No account was moved." in card
    assert await harness.store.count_addresses() == 0  # nothing allocated for accounts that cannot move


async def test_access_denied_by_aws_stops_the_whole_run_after_one_call(start, org):
    org.trusted_access = False
    org.deny_service_listing = True  # RootMail cannot check it first: AWS's AccessDeniedException tells
    harness = await start(ROOTMAIL_ADOPT_CONCURRENCY="1")

    run_id = await adopt(harness)

    assert len(org.of("StartPrimaryEmailUpdate")) == 1
    by_id = await items(harness, run_id)
    assert all(i.step is Step.FAILED for i in by_id.values())
    stopped = [i for i in by_id.values() if i.reason.startswith("stopped: ")]
    assert len(stopped) == 3 and "trusted access for AWS Account Management" in stopped[0].reason
    run = await AdoptBook(harness.store).run(run_id)
    assert run.aborted.startswith("stopped: ") and run.finished_at is not None
    card, _ = progress(harness)
    assert run.aborted in card


async def test_throttling_slows_the_run_down_but_every_account_moves(start, org):
    org.throttle = 5
    harness = await start()

    await adopt(harness)

    for account_id in ("222222222222", "333333333333", "444444444444"):
        assert await moved(harness, org, account_id)
    assert org.throttle == 0 and len(org.of("AcceptPrimaryEmailUpdate")) == 3
    await nothing_pending(harness)


async def test_endless_throttling_fails_the_account_with_the_reason(start, org):
    org.throttle = 10**6
    harness = await start(replace(FAST, transient=3))

    run_id = await adopt(harness, LEGACY)

    item = (await items(harness, run_id))[LEGACY]
    assert item.step is Step.FAILED
    assert item.reason == ("AWS kept refusing for now (AWS throttled StartPrimaryEmailUpdate "
                           "(TooManyRequestsException)), 4 times")
    assert len(org.of("StartPrimaryEmailUpdate")) == 4
    await nothing_pending(harness)


async def _waiting_address(harness, run_id: str) -> str:
    for _ in range(500):
        item = (await items(harness, run_id)).get(LEGACY)
        if item and item.step is Step.WAITING:
            return item.address
        await asyncio.sleep(0.01)
    raise AssertionError("the adoption never waited for its code")


def _code(message: EmailMessage) -> str:
    return re.search(r"(?m)^([A-Z0-9]{6})$", message.get_body(("plain",)).get_content())[1]
