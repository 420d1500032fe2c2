"""A 500-account organization audited through botocore against the fake: a bounded number of accounts in flight,
throttled accounts retried, a refused one reported, every other account read once."""
from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from tests.cardcheck import card_errors
from tests.cardwalk import text
from tests.integration.root.helpers import ADMIN_CHAT, FAST_AUDIT, FAST_TASKS, org, start  # noqa: F401
from wiring.root_access import RootTuning

ACCOUNTS = 500


async def posted_card(harness, words: str, timeout: float = 300) -> dict:
    async def found() -> dict:
        while True:
            for sent in harness.connector.in_conversation(ADMIN_CHAT.conversation_id):
                if sent.cards and words in text(sent.cards[0]):
                    return sent.cards[0]
            await asyncio.sleep(0.1)
    return await asyncio.wait_for(found(), timeout)
CONCURRENCY = 8


async def test_a_500_account_audit_stays_within_its_concurrency_and_reads_every_account(start, org):
    org.accounts.clear()
    org.roots.clear()
    ids = [f"{100000000000 + n}" for n in range(ACCOUNTS)]
    for n, account_id in enumerate(ids):
        org.add(account_id, f"account-{n:03d}", f"root-{n:03d}@corp.example")
        if n % 5 == 0:
            org.root(account_id).password = True
        if n % 25 == 1:
            org.throttled_accounts[account_id] = 1
    org.deny_assume_root.add(ids[7])
    org.latency = 0.002  # each answer takes a little while, so accounts overlap
    tuning = RootTuning(audit=replace(FAST_AUDIT, concurrency=CONCURRENCY), tasks=FAST_TASKS)
    harness = await start(tuning=tuning)

    started = time.monotonic()
    answer = await harness.say("root status", ADMIN_CHAT)
    card = await posted_card(harness, f"of {ACCOUNTS} member accounts")
    seconds = time.monotonic() - started

    assert "Auditing the organization's root users" in text(answer)  # the turn is not held for minutes
    shown = text(card)
    assert f"100 of {ACCOUNTS} member accounts still have root credentials" in shown
    assert "Could not be read" in shown and f"account-007 ({ids[7]})" in shown
    assert 1 < org.most_in_flight <= CONCURRENCY
    opened = [s.account for s in org.sessions.values()]
    assert sorted(opened) == sorted(i for i in ids if i != ids[7])  # one root session per account that answered
    assert {s.policy for s in org.sessions.values()} == {"IAMAuditRootUserCredentials"}
    throttled = [c for c in org.of("AssumeRoot") if c.params["TargetPrincipal"] == ids[1]]
    assert len(throttled) == 2  # throttled once, then read
    assert card_errors(card) == []  # the card fits Teams however many accounts there are
    print(f"\n{ACCOUNTS}-account audit: {seconds:.1f} s with {CONCURRENCY} accounts at a time")
