"""cards.adopt: the adoption form and progress card, as Teams would render them, at any size."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from cards.adopt import adopt_form, progress_card
from core.adoption.states import Adoption, Run, Step
from core.model import Owner
from core.adoption.reconcile import OrgAccount
from tests.cardcheck import MAX_CARD_BYTES, actions, texts, validate_cards

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
PLATFORM = Owner("19:platform@thread.tacv2", "Platform", "19:team@thread.tacv2", "Cloud Platform", "t")
CHAT = Owner("19:chat@thread.v2", "FinOps chat")
OTHERS_DM = Owner("a:personal-bob", "personal chat")
RUN = Run("run-1", PLATFORM.conversation_id, "Cloud Platform / Platform", "production", "aad-alice", "Alice Admin",
          "a:personal-alice", T0, 1000)


def accounts(n: int) -> list[OrgAccount]:
    return [OrgAccount(f"{500000000000 + i}", f"root-{i}@corp.example", f"Legacy *{i}* [x](y)", "ACTIVE")
            for i in range(n)]


def test_the_form_offers_channels_first_and_carries_every_account_id():
    form = adopt_form("run-1", accounts(1000), [OTHERS_DM, CHAT, PLATFORM], PLATFORM)

    owners = next(b for b in form["body"] if b.get("id") == "owner")
    assert [c["title"] for c in owners["choices"]] == ["Cloud Platform / Platform", "FinOps chat"]
    assert owners["value"] == PLATFORM.conversation_id
    [start] = actions(form)
    assert start["verb"] == "adopt.start" and len(start["data"]["accounts"].split(",")) == 1000
    assert "Adopt 1000 AWS accounts into RootMail" in texts(form) and "and 990 more" in texts(form)
    assert "Legacy \\*0\\* \\[x\\]\\(y\\) (500000000000)" not in texts(form)  # escaped, yet read literally
    assert "Legacy *0* [x](y) (500000000000)" in texts(form)
    assert validate_cards([form]) == [[]]


def test_a_thousand_failures_with_long_reasons_keep_the_card_within_teams_limits():
    items = [Adoption("run-1", a.id, a.name, a.email, step=Step.FAILED, reason="AWS said no " * 40)
             for a in accounts(1000)]
    done = replace(RUN, finished_at=T0 + timedelta(minutes=3, seconds=7))

    card = progress_card(done, items)

    shown = texts(card)
    assert "Adopted 0 of 1000 AWS accounts" in shown and "No account was moved." in shown
    assert "Failed (1000)" in shown and "and 990 more" in shown
    assert any(s.startswith("Finished") and s.endswith("after 3 min 7 s") for s in shown)
    assert validate_cards([card]) == [[]]
    assert len(str(card).encode()) < MAX_CARD_BYTES


def test_retrying_accounts_count_as_waiting_with_what_they_wait_for():
    items = [Adoption("run-1", "222222222222", "Billing", "b@corp.example", step=Step.WAITING,
                      address="aws-0001@example.com", requests=1, asked_at=T0),
             Adoption("run-1", "333333333333", "Lake", "l@corp.example", step=Step.QUEUED,
                      address="aws-0002@example.com", reason="AWS throttled StartPrimaryEmailUpdate; trying again"),
             Adoption("run-1", "444444444444", "Sandbox", "s@corp.example")]

    shown = texts(progress_card(replace(RUN, accounts=3), items))

    assert shown[shown.index("Waiting") + 1] == "2" and shown[shown.index("Queued") + 1] == "1"
    assert "waiting for the code at aws-0001@example.com" in shown
    assert "queued at aws-0002@example.com; AWS throttled StartPrimaryEmailUpdate; trying again" in shown
    assert "Sandbox (444444444444)" not in shown
