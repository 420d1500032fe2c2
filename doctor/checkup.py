"""Running every check of the doctor against the same settings as the app: the store first (the secrets check reads
it), then the rest side by side, each bounded in time; a check that breaks becomes a failure, never a traceback."""
from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

import aiohttp

from doctor.report import Finding, failed
from manifest.package import DEFAULT_OUT
from settings import Settings

TIMEOUT = 60.0  # seconds for one part's checks
STORE = "store"
PARTS = (STORE, "secrets", "bot", "graph", "aws", "api")  # doctor/<part>.py each; SDKs load only when a part runs


@dataclass
class Context:
    """What the checks share. The fields after `http` are for tests that point a check at a local fake."""

    settings: Settings
    http: aiohttp.ClientSession
    cosmos_options: dict[str, Any] = field(default_factory=dict)
    aws_endpoint: str | None = None
    graph_credential: Any = None
    entra_transport: Any = None  # an azure-core transport for the credentials the doctor builds itself
    bot_credential: Any = None
    web_identity: Any = None  # an aws.credentials.TokenSource
    package: Path = DEFAULT_OUT  # the Teams app package `make package` builds
    store: Any = None  # the store, once opened for the checks
    store_findings: list[Finding] = field(default_factory=list)  # what opening it found


Check = Callable[[Context], Awaitable[list[Finding]]]


async def checkup(settings: Settings, parts: tuple[str, ...] = (), timeout: float = TIMEOUT,
                  **overrides: Any) -> list[Finding]:
    """Every finding, part by part, in a stable order. `parts` limits the run (empty: all)."""
    from doctor import store

    wanted = [name for name in PARTS if name in parts or not parts]
    checks: dict[str, Check] = {name: importlib.import_module(f"doctor.{name}").check for name in wanted}
    async with aiohttp.ClientSession() as http:
        context = Context(settings, http, **overrides)
        async with store.opened(context):  # the secrets check reads the store too
            found = [await _bounded(STORE, checks[STORE], context, timeout)] if STORE in checks else []
            found += await asyncio.gather(*(_bounded(name, check, context, timeout)
                                            for name, check in checks.items() if name != STORE))
    return [finding for part in found for finding in part]


async def _bounded(part: str, check: Check, context: Context, timeout: float) -> list[Finding]:
    try:
        return await asyncio.wait_for(check(context), timeout)
    except asyncio.TimeoutError:
        return [failed(part, "answers in time", f"no answer within {timeout:.0f} s",
                       "check this host's network path to the service (firewall, private endpoint, DNS)")]
    except Exception as error:  # a check that breaks must not hide the others
        return [failed(part, "could be checked", f"{type(error).__name__}: {str(error)[:300]}",
                       "run `python -m doctor` again; if it repeats, report this line")]
