"""200 accounts adopted in one run through the real pipeline: SMTP in, forwarder diverting, botocore to the fake."""
from __future__ import annotations

import logging
import time
from collections import Counter

from core.adoption.states import Step
from tests.integration.adopt.helpers import adopt, items, org, progress, start  # noqa: F401

logger = logging.getLogger(__name__)
ACCOUNTS = 200


async def test_two_hundred_accounts_move_once_each_and_nothing_is_left_pending(start, org, capsys):
    org.accounts.clear()
    ids = [f"{500000000000 + i}" for i in range(ACCOUNTS)]
    for i, account_id in enumerate(ids):
        org.add(account_id, f"Legacy {i:03d}", f"legacy-{i:03d}@corp.example")
    harness = await start(ROOTMAIL_ADOPT_CONCURRENCY="20")

    began = time.perf_counter()
    run_id = await adopt(harness)
    took = time.perf_counter() - began

    starts = Counter(c.params["AccountId"] for c in org.of("StartPrimaryEmailUpdate"))
    accepts = Counter(c.params["AccountId"] for c in org.of("AcceptPrimaryEmailUpdate"))
    assert starts == accepts == Counter({account_id: 1 for account_id in ids})  # every account moved once
    addresses = set()
    for account_id in ids:
        record = await harness.store.get_by_account_id(account_id)
        assert record is not None and org.accounts[account_id].email == record.address
        addresses.add(record.address)
    assert len(addresses) == ACCOUNTS
    steps = Counter(i.step for i in (await items(harness, run_id)).values())
    assert steps == Counter({Step.DONE: ACCOUNTS, Step.FAILED: 1})  # the management account
    store = harness.store
    assert await store.flags_with_prefix("adopt:address:", 10) == []
    assert await store.flags_with_prefix("adopt:account:", 10) == []
    assert await store.count_mails("consumed") == ACCOUNTS
    assert await store.count_mails("received") == await store.count_mails("failed") == 0
    assert org.pending == {}
    card, _ = progress(harness)
    assert f"Adopted {ACCOUNTS} of {ACCOUNTS + 1} AWS accounts" in card
    with capsys.disabled():
        print(f"\nadopted {ACCOUNTS} accounts in {took:.1f} s (20 at a time, codes over SMTP)")
