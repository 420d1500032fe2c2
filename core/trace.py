"""The correlation id of what is being handled now (a mail, a turn): set where the work starts, read by the log
formatter, carried by asyncio into every task started from there."""
from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("rootmail_correlation_id", default="")


@contextlib.contextmanager
def correlated(value: str) -> Iterator[None]:
    token = correlation_id.set(value)
    try:
        yield
    finally:
        correlation_id.reset(token)
