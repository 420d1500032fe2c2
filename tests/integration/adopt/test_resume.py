"""An adoption run survives a restart: its state is in the store, and the next start drives it to the end."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from app import ADOPTER
from core.adoption.states import Step
from tests.integration.adopt.helpers import FAST, adopt, items, org, progress, start  # noqa: F401

LEGACY = ("222222222222", "333333333333", "444444444444")


async def test_a_run_cut_by_a_restart_resumes_and_finishes_on_the_same_card(start, org):
    for account_id in LEGACY:
        org.drop_codes[account_id] = 1  # every first code is lost while RootMail is down
    slow = replace(FAST, code_wait=timedelta(seconds=4))
    first = await start(slow)
    run_id = await adopt(first, finish=False)
    await _until(lambda found: all(found[a].step is Step.WAITING for a in LEGACY), first, run_id)

    await first.client.close()  # RootMail stops in the middle of the run
    stopped = await _items_after_restart(start, slow, run_id)

    second, found = stopped
    assert {found[a].step for a in LEGACY} == {Step.DONE}
    for account_id in LEGACY:
        record = await second.store.get_by_account_id(account_id)
        assert record is not None and org.accounts[account_id].email == record.address
        starts = [c for c in org.of("StartPrimaryEmailUpdate") if c.params["AccountId"] == account_id]
        assert len(starts) == 2  # asked before the restart, and once more after it
    assert len(org.of("AcceptPrimaryEmailUpdate")) == 3
    card, versions = progress(second)  # one progress card, posted before the restart, updated after it
    assert "Adopted 3 of 4 AWS accounts" in card
    assert any("Waiting" in v and v[v.index("Waiting") + 1] == "3" for v in versions)


async def _items_after_restart(start, policy, run_id):
    second = await start(policy)
    await asyncio.wait_for(second.client.app[ADOPTER].wait(run_id), 120)
    return second, await items(second, run_id)


async def _until(condition, harness, run_id: str) -> None:
    for _ in range(500):
        found = await items(harness, run_id)
        if found and condition(found):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never reached: {await items(harness, run_id)}")
