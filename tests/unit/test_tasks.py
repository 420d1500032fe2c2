"""Stopping background tasks: a task that lost its cancellation (CPython gh-86296) is cancelled again until done."""
from __future__ import annotations

import asyncio

from core.tasks import cancel_all


async def test_a_task_that_swallows_one_cancellation_is_still_stopped():
    swallowed = []

    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            swallowed.append(True)  # as a lost cancellation looks from outside: the task carries on
        await asyncio.sleep(3600)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    assert await asyncio.wait_for(cancel_all([task]), 10) == []
    assert task.cancelled() and swallowed == [True]


async def test_what_a_task_failed_with_is_returned_not_raised():
    async def failing() -> None:
        raise ValueError("broken")

    task = asyncio.create_task(failing())
    await asyncio.sleep(0)
    [error] = await cancel_all([task])
    assert isinstance(error, ValueError)
