"""Stopping background tasks for good. On Python 3.11 a cancellation can be lost when the task's `asyncio.wait_for`
finishes in the same loop turn (CPython gh-86296, fixed in 3.12): the task carries on as if never cancelled, and
waiting for it hangs shutdown. So a task is cancelled again until it is done."""
from __future__ import annotations

import asyncio
import contextlib
from typing import Iterable

AGAIN_AFTER = 0.5  # seconds before a cancellation the task may have lost is sent again


async def cancel_all(tasks: Iterable[asyncio.Task]) -> list[BaseException]:
    """Cancel every task and wait until all are done; the exceptions they ended with (not cancellations)."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=AGAIN_AFTER)
    found = []
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            if (error := task.exception()) is not None:
                found.append(error)
    return found
