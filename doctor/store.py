"""The store: reachable, database and containers as storage/ expects (partition keys, indexing), and the identity can
write and delete a probe document. It is opened exactly as the app opens it, but never created: the doctor changes
nothing but its own probe."""
from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from pathlib import Path
from typing import AsyncIterator

from core.errors import StoreUnavailable
from doctor.report import Finding, failed, passed
from settings import ROOT, Settings
from storage.factory import cosmos_settings, open_store, sqlite_path

PART = "store"
PROBE = "doctor-probe:"
SQLITE_FIX = "ROOTMAIL_STORE must name a file RootMail may read and write, in a folder it may write"
COSMOS_DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"  # Cosmos DB Built-in Data Contributor


@contextlib.asynccontextmanager
async def opened(context) -> AsyncIterator[None]:
    """Open the store for the checks that need it (kept on the context), and close it when they are done."""
    settings: Settings = context.settings
    cosmos = settings.store_url == "cosmos"
    what = "reachable, with the database and containers storage/ expects" if cosmos else "the SQLite file opens"
    if not cosmos and not _sqlite_file(settings).exists():
        context.store_findings.append(_new_sqlite(settings))
        yield
        return
    target = cosmos_settings(settings, create_if_missing=False) if cosmos else settings.store_url
    try:
        async with open_store(target, root=ROOT, **context.cosmos_options) as store:
            context.store = store
            context.store_findings.append(passed(PART, what, _where(settings)))
            yield
            return
    except StoreUnavailable as problem:
        context.store_findings.append(failed(PART, what, str(problem)[:400], _fix(settings, problem.kind)))
    except (OSError, sqlite3.Error) as problem:
        context.store_findings.append(failed(PART, what, f"{type(problem).__name__}: {problem}", SQLITE_FIX))
    yield


def _sqlite_file(settings: Settings) -> Path:
    return Path(sqlite_path(settings.store_url, ROOT))


def _new_sqlite(settings: Settings) -> Finding:
    """No file yet: RootMail creates it on first start, if it may write the folder (the doctor creates nothing)."""
    path = _sqlite_file(settings)
    folder = next((p for p in path.parents if p.exists()), path.anchor)
    if not Path(folder).is_dir() or not os.access(folder, os.W_OK):
        return failed(PART, "the SQLite file can be created", f"{path} does not exist and {folder} is not writable",
                      SQLITE_FIX)
    return passed(PART, "the SQLite file can be created", f"{path} does not exist yet; RootMail creates it on start")


async def check(context) -> list[Finding]:
    found: list[Finding] = list(context.store_findings)
    if context.store is None:
        return found
    name = PROBE + uuid.uuid4().hex
    try:
        written = await context.store.add_flag(name, "written by python -m doctor; deleted at once")
        await context.store.delete_flag(name)
        gone = await context.store.get_flag(name) is None
    except StoreUnavailable as problem:
        return found + [failed(PART, "a probe document can be written and deleted", str(problem)[:400],
                               _fix(context.settings, problem.kind or "access"))]
    if not (written and gone):
        return found + [failed(PART, "a probe document can be written and deleted",
                               "the probe was not written" if not written else "the probe did not go away",
                               "check that no other process writes flags named doctor-probe:*")]
    return found + [passed(PART, "a probe document can be written and deleted", "written, read back, deleted")]


def _where(settings: Settings) -> str:
    if settings.store_url == "cosmos":
        return f"Azure Cosmos DB {settings.cosmos_endpoint}, database {settings.cosmos_database}"
    return f"SQLite {_sqlite_file(settings)}"


def _fix(settings: Settings, kind: str) -> str:
    if settings.store_url != "cosmos":
        return SQLITE_FIX
    if kind == "access":
        return ("give RootMail's identity the Cosmos DB Built-in Data Contributor role on the account:\n"
                "az cosmosdb sql role assignment create --account-name <account> --resource-group <group> "
                f"--scope / --principal-id <identity principal id> --role-definition-id {COSMOS_DATA_CONTRIBUTOR}")
    if kind == "missing":
        return ("deploy infra/ (azd provision), which creates the database and containers with their partition keys "
                "and indexing from infra/cosmos-containers.json")
    if kind == "shape":
        return ("the container was created by hand: recreate it as infra/cosmos-containers.json says (partition key "
                "/pk and the composite indexes), then copy the data with `python -m storage.migrate`")
    return ("check ROOTMAIL_COSMOS_ENDPOINT and that this host may reach it (firewall, private endpoint, "
            "public network access)")
