"""core.adoption.states: the adoption state machine, driven by a clock the test holds."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from core.adoption import states as a
from core.model import InboundMail, MailState

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
POLICY = a.Policy(code_wait=timedelta(minutes=10), code_requests=2, backoff=timedelta(seconds=5),
                  max_backoff=timedelta(seconds=30), transient=3)
FACTS = a.OrgFacts(management_account="111111111111", trusted_access=True)


def item(**changes) -> a.Adoption:
    return replace(a.Adoption("run-1", "222222222222", "Legacy Billing", "billing@corp.example"), **changes)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def code_mail(**changes) -> InboundMail:
    base = InboundMail(key="k1", message_id="<m1@amazonses.com>", address="aws-0001@example.com",
                       sender="no-reply@signin.aws", subject="Amazon Web Services - Verify your new email address",
                       received_at=at(1), preview="change the root user email address of AWS account 222222222222. "
                       "[code hidden]", state=MailState.CONSUMED, kind="email_update_code", verdict="verified",
                       secret="sealed")
    return replace(base, **changes)


@pytest.mark.parametrize("account_id, state, facts, why", [
    ("111111111111", "ACTIVE", FACTS, "management account"),
    ("222222222222", "SUSPENDED", FACTS, "the account is suspended"),
    ("222222222222", "PENDING_CLOSURE", FACTS, "the account is pending closure"),
    ("222222222222", "CLOSED", FACTS, "the account is closed"),
    ("222222222222", "ACTIVE", a.OrgFacts("111111111111", False), "trusted access for AWS Account Management"),
])
def test_accounts_aws_will_not_change_are_named_with_the_reason(account_id, state, facts, why):
    assert why in a.ineligible(account_id, state, facts)


def test_an_active_member_account_is_eligible_even_when_the_organization_could_not_be_read():
    assert a.ineligible("222222222222", "ACTIVE", FACTS) == ""
    assert a.ineligible("222222222222", "ACTIVE", a.OrgFacts()) == ""


def test_a_code_that_never_comes_is_asked_for_once_more_then_the_account_fails():
    first = a.asked(a.asking(item(), "aws-0001@example.com", at(0)), at(0))
    assert a.next_act(first, at(9, 59), POLICY) is a.Act.LOOK
    assert a.next_act(first, at(10), POLICY) is a.Act.TIME_OUT

    again = a.timed_out(first, at(10), POLICY)
    assert again.step is a.Step.QUEUED and "asking AWS again" in again.reason
    assert a.next_act(again, at(10), POLICY) is a.Act.ASK
    second = a.asked(a.asking(again, again.address, at(10)), at(10))
    assert second.requests == 2 and a.next_act(second, at(19), POLICY) is a.Act.LOOK

    gone = a.timed_out(second, at(20), POLICY)
    assert gone.step is a.Step.FAILED and gone.reason == "no code arrived within 10 min, 2 times"
    assert a.next_act(gone, at(20), POLICY) is a.Act.NOTHING


def test_a_rejected_code_gets_one_new_code_then_the_account_fails():
    waiting = a.asked(a.asking(item(), "aws-0001@example.com", at(0)), at(0))
    once = a.rejected(a.code_taken(waiting, at(1)), at(1), POLICY, "ValidationException: wrong")
    assert once.step is a.Step.QUEUED and "rejected the code (ValidationException: wrong)" in once.reason

    twice = a.rejected(a.code_taken(a.asked(a.asking(once, once.address, at(2)), at(2)), at(3)), at(3), POLICY,
                       "ValidationException: expired")
    assert twice.step is a.Step.FAILED
    assert twice.reason == "AWS rejected the code 2 times (last: ValidationException: expired)"


def test_throttling_pauses_with_doubling_backoff_and_fails_after_too_many():
    asking = a.asking(item(), "aws-0001@example.com", at(0))
    one = a.paused(asking, at(0), POLICY, "AWS throttled StartPrimaryEmailUpdate")
    assert one.step is a.Step.QUEUED and one.not_before == at(seconds=5)  # the ask did not go through
    assert a.next_act(one, at(seconds=4), POLICY) is a.Act.PAUSE
    assert a.next_act(one, at(seconds=5), POLICY) is a.Act.ASK
    two = a.paused(one, at(seconds=5), POLICY, "throttled")
    three = a.paused(two, at(seconds=15), POLICY, "throttled")
    assert two.not_before == at(seconds=15) and three.not_before == at(seconds=35)
    capped = a.paused(replace(three, transient=2), at(1), POLICY, "throttled")
    assert capped.not_before - at(1) == timedelta(seconds=20)

    four = a.paused(three, at(1), POLICY, "AWS throttled StartPrimaryEmailUpdate")
    assert four.step is a.Step.FAILED and "kept refusing" in four.reason and "4 times" in four.reason


def test_a_throttled_accept_keeps_accepting():
    accepting = a.code_taken(a.asked(a.asking(item(), "aws-0001@example.com", at(0)), at(0)), at(1))
    paused = a.paused(accepting, at(1), POLICY, "throttled")
    assert paused.step is a.Step.ACCEPTING
    assert a.next_act(paused, at(1, 10), POLICY) is a.Act.ACCEPT


def test_an_ask_cut_short_by_a_restart_is_asked_again():
    cut = a.asking(item(), "aws-0001@example.com", at(0))
    assert a.resumed(cut, at(5)).step is a.Step.QUEUED
    waiting = a.asked(cut, at(0))
    assert a.resumed(waiting, at(5)) == waiting


def test_only_a_verified_update_code_for_this_account_after_the_ask_is_used():
    waiting = a.asked(a.asking(item(), "aws-0001@example.com", at(0, 30)), at(0, 30))
    assert a.code_problem(code_mail(), waiting) == ""
    assert "verified AWS sender" in a.code_problem(code_mail(verdict="unverified"), waiting)
    assert "not a primary e-mail update code" in a.code_problem(code_mail(kind="signin_code"), waiting)
    assert "another address" in a.code_problem(code_mail(address="aws-0002@example.com"), waiting)
    assert "before the code was asked for" in a.code_problem(code_mail(received_at=at(0)), waiting)
    assert "names another AWS account (999999999999)" in a.code_problem(
        code_mail(preview="email address of AWS account 999999999999."), waiting)
    assert a.code_problem(code_mail(preview="no account id named here"), waiting) == ""
    assert a.kept_aside(code_mail()) and not a.kept_aside(code_mail(secret=""))
    assert not a.kept_aside(code_mail(state=MailState.RECEIVED))


def test_records_survive_their_json_form():
    run = a.Run("run-1", "19:platform@thread.tacv2", "Cloud / Platform", "production", "aad-alice", "Alice",
                "a:personal-alice", T0, 3, activity_id="activity-9")
    assert a.Run.from_json(run.to_json()) == run
    waiting = a.paused(a.asked(a.asking(item(), "aws-0001@example.com", at(0)), at(0)), at(1), POLICY, "busy")
    assert a.Adoption.from_json(waiting.to_json()) == waiting
    assert a.Adoption.from_json(waiting.to_json()).not_before == waiting.not_before


def test_tally_counts_every_step():
    counts = a.tally([item(), item(step=a.Step.DONE), item(step=a.Step.DONE), item(step=a.Step.FAILED)])
    assert counts[a.Step.DONE] == 2 and counts[a.Step.QUEUED] == 1 and counts[a.Step.WAITING] == 0
