"""Ingest's CPU per mail — parse the MIME, inspect (classify, verify the sender, seal), record — as a multiple of the
least work for the same mail: the standard library's parse of the same bytes (headers, and the body's text) and one
bare insert of the same row (bench/bare.py). CPU is process time, the store's own thread included."""
from __future__ import annotations

import time
from dataclasses import replace
from email import policy
from email.parser import BytesParser
from typing import Any, Callable

from bench.bare import bare
from core.intake.ingest import ingest
from core.intake.inspection import Inspector
from mail.mime import parse_message

WARM_UP = 5  # mails ingested before the measured ones
HEADERS = ("from", "to", "subject", "date", "message-id", "authentication-results")


def stdlib_parse(raw: bytes) -> str:
    """Headers decoded and the body's text, with email's modern API: what any reader of the mail must do."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    for name in HEADERS:
        try:
            str(message[name])
        except (ValueError, TypeError, IndexError):  # hostile headers raise; a reader must survive them too
            pass
    try:
        body = message.get_body(("plain", "html"))
        return body.get_content() if body else ""
    except (ValueError, TypeError, LookupError):
        return ""


async def versus_bare(store, clock: Callable, inspector: Inspector, mails: list[tuple[bytes, str]]) -> dict[str, Any]:
    """Each mail ingested as RootMail does, then the same bytes parsed and its row inserted bare (under another key);
    the first WARM_UP mails are not counted."""
    base = bare(store)
    ours = theirs = 0.0
    for n, (raw, to) in enumerate(mails, 1 - WARM_UP):  # the first few pay for lazy imports and compiled patterns
        started = time.process_time()
        [record] = await ingest(store, clock, parse_message(raw), [to], inspector)
        mine = time.process_time() - started
        row = base.mail_row(replace(record, key=record.key[:36] + "bare"))
        started = time.process_time()
        stdlib_parse(raw)
        await base.insert_mail(row)
        if n > 0:
            ours, theirs = ours + mine, theirs + time.process_time() - started
    n = len(mails) - WARM_UP
    return {"mails": n, "cpu_ms_per_mail": round(ours / n * 1000, 3), "bare_cpu_ms_per_mail": round(theirs / n * 1000, 3),
            "ratio": round(ours / theirs, 2) if theirs > 0 else None}
