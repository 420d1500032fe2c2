"""`adopt`: existing AWS accounts move their root e-mail into RootMail; the code AWS mails is used by RootMail alone.

RootMail runs with its real SMTP inbox; botocore talks to the fake AWS organization (tests/fakes/aws_account.py),
which mails each code over SMTP, verified by the boundary the embedded default trusts."""
from __future__ import annotations

from core.adoption.states import Step
from core.adoption.book import AdoptBook
from core.model import MailState
from tests.cardcheck import texts
from tests.fakes import teams
from tests.integration.adopt.helpers import (ADMIN_CHAT, adopt, items, open_form, org, progress,  # noqa: F401
                                             shown_everywhere, start)

LEGACY = "222222222222"


async def test_one_account_moves_to_a_rootmail_address_code_and_all(start, org):
    harness = await start(ROOTMAIL_ADMINS="aad-alice")

    run_id = await adopt(harness, LEGACY)

    store = harness.store
    record = await store.get_by_account_id(LEGACY)
    assert record is not None and record.owner.conversation_id == teams.PLATFORM.conversation_id
    assert record.account_name == "Legacy Billing" and "billing-root@corp.example" in record.purpose
    assert org.accounts[LEGACY].email == record.address  # AWS now sends this account's root mail to RootMail
    mailed = [code for account, to, code in org.sent_codes if account == LEGACY and to == record.address]
    assert len(mailed) == 1
    assert [(c.params["AccountId"], c.params["PrimaryEmail"], c.params["Otp"])
            for c in org.of("AcceptPrimaryEmailUpdate")] == [(LEGACY, record.address, mailed[0])]
    assert [c.params["AccountId"] for c in org.of("StartPrimaryEmailUpdate")] == [LEGACY]
    assert {org.accounts[i].email for i in ("333333333333", "444444444444")} == {
        "dl-aws@corp.example", "jane.doe@gmail.example"}  # nobody else was touched

    # the code mail arrived through the SMTP inbox and was consumed: no card, nothing to reveal, no code anywhere
    [code_mail] = await store.recent_mails(record.address, 10)
    assert (code_mail.kind, code_mail.verdict, code_mail.state) == ("email_update_code", "verified",
                                                                    MailState.CONSUMED)
    assert code_mail.secret == "" and code_mail.activity_id == "" and code_mail.posted_to == ""
    in_channel = [s for s in harness.connector.sent if s.conversation_id.startswith(teams.PLATFORM.conversation_id)]
    assert len(in_channel) == 1 and "RootMail" in texts(in_channel[0].cards[0])  # only the help card
    revealed = await harness.press("reveal", {"mail": code_mail.key}, ADMIN_CHAT)
    assert "used this code itself" in revealed.message
    assert harness.connector.created == []  # no private chat was opened to show it
    assert mailed[0] not in shown_everywhere(harness)

    history = [(e.actor, e.action) for e in reversed(await store.audit_for(record.address, 20))]
    assert history == [("aad-alice", "allocate"), ("rootmail-adopt", "adopt-code-requested"),
                       ("rootmail-adopt", "adopt-code-consumed"), ("rootmail-adopt", "link"),
                       ("rootmail-adopt", "adopt-done")]
    consumed = next(e for e in await store.audit_for(record.address, 20) if e.action == "adopt-code-consumed")
    assert consumed.detail == {"account_id": LEGACY, "run": run_id, "mail": code_mail.key}

    card, versions = progress(harness)
    assert "Adopted 1 of 1 AWS accounts" in card and "Their root mail now comes to Cloud Platform / Platform." in card
    assert card[card.index("Done") + 1] == "1" and card[card.index("Failed") + 1] == "0"
    assert f"now {record.address}" in card and "Legacy Billing (222222222222)" in card
    assert any("Adopting 1 AWS account" in v for v in versions[0])

    book = AdoptBook(store)
    assert not await book.expecting(record.address) and await store.get_flag(f"adopt:account:{LEGACY}") is None
    assert (await book.run(run_id)).finished_at is not None


async def test_all_unmanaged_moves_every_eligible_account_and_says_why_not_for_the_rest(start, org):
    org.add("555555555555", "Frozen", "frozen@corp.example", state="SUSPENDED")
    org.add("666666666666", "Gone", "gone@corp.example", state="CLOSED")
    harness = await start()

    form = await open_form(harness)
    shown = texts(form)
    assert "Adopt 6 AWS accounts into RootMail" in shown  # the management account is in the drift too
    assert "Legacy Billing (222222222222)" in shown and "frozen@corp.example (suspended)" in shown
    run_id = await adopt(harness)

    done = {i: (await harness.store.get_by_account_id(i)) for i in ("222222222222", "333333333333", "444444444444")}
    for account_id, record in done.items():
        assert record is not None and org.accounts[account_id].email == record.address
        assert record.owner.conversation_id == teams.PLATFORM.conversation_id and record.environment == "production"
    assert sorted(c.params["AccountId"] for c in org.of("StartPrimaryEmailUpdate")) == sorted(done)
    by_id = await items(harness, run_id)
    assert {i: it.step for i, it in by_id.items()} == {
        "111111111111": Step.FAILED, "222222222222": Step.DONE, "333333333333": Step.DONE,
        "444444444444": Step.DONE, "555555555555": Step.FAILED, "666666666666": Step.FAILED}
    assert "management account" in by_id["111111111111"].reason
    assert "the account is suspended" in by_id["555555555555"].reason
    assert "the account is closed" in by_id["666666666666"].reason
    assert by_id["555555555555"].address == ""  # nothing was allocated for an account AWS would not change

    card, _ = progress(harness)
    assert "Adopted 3 of 6 AWS accounts" in card and "Failed (3)" in card and "Done (3)" in card
    assert any(line.startswith("not eligible: the account is suspended") for line in card)
    failures = await harness.store.audit_for("aws-account:555555555555", 5)
    assert [e.action for e in failures] == ["adopt-failed"]

    after = texts(await harness.say("sync", ADMIN_CHAT))
    assert "Accounts whose root e-mail RootMail does not know (3)" in after  # management, suspended, closed


async def test_a_second_adopt_finds_nothing_left_to_move(start, org):
    harness = await start()
    await adopt(harness)
    starts = len(org.of("StartPrimaryEmailUpdate"))

    again = texts(await harness.say(f"adopt {LEGACY}", ADMIN_CHAT))

    assert "Already in RootMail" in again
    assert len(org.of("StartPrimaryEmailUpdate")) == starts


async def test_adopt_is_for_admins_only(start, org):
    harness = await start()

    card = await harness.say("adopt --all-unmanaged", teams.PLATFORM, teams.BOB)

    assert "Only admins can adopt accounts" in texts(card)
    assert org.calls == []
    refusal = (await harness.store.audit_for("access", 1))[0]
    assert refusal.action == "refused" and refusal.detail["action"] == "adopt"


async def test_adopt_without_the_role_says_how_to_set_it_up(start, org):
    harness = await start(ROOTMAIL_ADOPT_ROLE_ARN="")

    card = await harness.say(f"adopt {LEGACY}", ADMIN_CHAT)

    assert "Adoption is not set up" in texts(card)
    assert "ROOTMAIL_ADOPT_ROLE_ARN" in " ".join(texts(card))


async def test_adopt_needs_an_account_id_or_all_unmanaged(start, org):
    harness = await start()

    assert "That is not an AWS account id" in texts(await harness.say("adopt 1234", ADMIN_CHAT))
    assert "What should I adopt?" in texts(await harness.say("adopt", ADMIN_CHAT))
    assert "Not an account to adopt" in texts(await harness.say("adopt 999999999999", ADMIN_CHAT))
