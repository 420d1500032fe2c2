"""Copy everything from a SQLite store into Cosmos DB, then compare counts.

    python -m storage.migrate --from sqlite:///var/rootmail.db --to cosmos [--create] [--container-prefix P]

Cosmos settings come from ROOTMAIL_COSMOS_ENDPOINT, ROOTMAIL_COSMOS_KEY (empty: Entra ID) and
ROOTMAIL_COSMOS_DATABASE (default rootmail). Stop RootMail first. Every record is written so that running the
copy again converges on the same result: an interrupted copy is resumed by running it again. Exit code 0 when
every count matches, 1 when one does not, 2 when the copy could not run.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping, Protocol, TextIO

from core.errors import RootMailError
from storage.factory import open_store, sqlite_path

CONCURRENCY = 32


class Source(Protocol):
    async def mailboxes(self) -> list: ...
    def export_aliases(self) -> AsyncIterator[tuple[str, str, str]]: ...
    def export_addresses(self) -> AsyncIterator: ...
    def export_mails(self) -> AsyncIterator: ...
    def export_conversations(self) -> AsyncIterator: ...
    def export_audit(self) -> AsyncIterator[tuple[str, Any]]: ...
    def export_flags(self) -> AsyncIterator[tuple[str, str]]: ...
    async def inventory(self) -> dict[str, int]: ...


@dataclass(frozen=True)
class Result:
    written: dict[str, int]
    source: dict[str, int]
    target: dict[str, int]

    @property
    def mismatches(self) -> list[str]:
        return [kind for kind in self.source if self.source[kind] != self.target.get(kind)]


async def _each(items: Iterable) -> AsyncIterator:
    for item in items:
        yield item


async def _copy(rows: AsyncIterable, write: Callable[[Any], Awaitable[Any]], concurrency: int) -> tuple[int, int]:
    """Write every row, `concurrency` at a time: (rows read, rows written; a write returning False found the
    target already the same). The first failure stops the step and is raised as itself."""
    gate = asyncio.Semaphore(concurrency)
    tasks: list[asyncio.Task] = []
    try:
        async with asyncio.TaskGroup() as group:
            async for row in rows:
                await gate.acquire()
                tasks.append(group.create_task(write(row)))
                tasks[-1].add_done_callback(lambda _: gate.release())
    except ExceptionGroup as failures:
        first = failures.exceptions[0]
        while isinstance(first, ExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return len(tasks), sum(task.result() is not False for task in tasks)


async def migrate(source: Source, target: Any, *, concurrency: int = CONCURRENCY,
                  progress: Callable[[str], None] = lambda line: None) -> Result:
    """Copy every kind of record in turn, then count both sides."""
    steps = [
        ("mailboxes", _each(await source.mailboxes()), target.save_mailbox),
        ("aliases", source.export_aliases(), lambda row: target.import_alias(*row)),
        ("addresses", source.export_addresses(), target.import_address),
        ("mails", source.export_mails(), target.import_mail),
        ("conversations", source.export_conversations(), target.save_conversation),
        ("audit", source.export_audit(), lambda row: target.import_audit(*row)),
        ("flags", source.export_flags(), lambda row: target.set_flag(*row)),
    ]
    written: dict[str, int] = {}
    for kind, rows, write in steps:
        read, written[kind] = await _copy(rows, write, concurrency)
        progress(f"{kind:<16} {read:>8} read {written[kind]:>8} written")
    return Result(written, await source.inventory(), await target.inventory())


def report(result: Result, out: TextIO) -> None:
    out.write(f"{'kind':<16} {'source':>8} {'cosmos':>8}\n")
    for kind, count in result.source.items():
        mark = "" if count == result.target.get(kind) else "  MISMATCH"
        out.write(f"{kind:<16} {count:>8} {result.target.get(kind, 0):>8}{mark}\n")
    out.write("verified: every count matches\n" if not result.mismatches
              else f"NOT verified: {', '.join(result.mismatches)} differ (was the target empty, and RootMail stopped?)\n")


def cosmos_from_env(env: Mapping[str, str], create: bool, prefix: str):
    from storage.cosmos.client import CosmosSettings

    endpoint = env.get("ROOTMAIL_COSMOS_ENDPOINT", "").strip()
    if not endpoint:
        raise SystemExit("ROOTMAIL_COSMOS_ENDPOINT is not set (the Cosmos DB account endpoint).")
    return CosmosSettings(endpoint=endpoint, key=env.get("ROOTMAIL_COSMOS_KEY", "").strip(),
                          database=env.get("ROOTMAIL_COSMOS_DATABASE", "").strip() or "rootmail",
                          container_prefix=prefix, create_if_missing=create)


async def run(source_url: str, settings, concurrency: int, out: TextIO, **client_options: Any) -> int:
    async with open_store(source_url) as source, open_store(settings, **client_options) as target:
        result = await migrate(source, target, concurrency=concurrency,
                               progress=lambda line: (out.write(line + "\n"), out.flush()))
    report(result, out)
    return 1 if result.mismatches else 0


def main(argv: list[str] | None = None, env: Mapping[str, str] = os.environ, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", required=True, help="sqlite:///PATH of the store to copy")
    parser.add_argument("--to", dest="target", required=True, choices=["cosmos"], help="where to copy to")
    parser.add_argument("--create", action="store_true", help="create the database and containers if missing")
    parser.add_argument("--container-prefix", default="", help="prefix of the Cosmos DB container names")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, help="writes in flight at once")
    args = parser.parse_args(argv)
    if not args.source.startswith("sqlite:///"):
        parser.error("--from must be sqlite:///PATH")
    if not Path(sqlite_path(args.source)).is_file():  # opening would create an empty store and "verify" it
        parser.error(f"--from: no SQLite store at {sqlite_path(args.source)}")
    settings = cosmos_from_env(env, args.create, args.container_prefix)
    logging.basicConfig(level=logging.ERROR)  # failures are reported below, once, in words
    try:
        return asyncio.run(run(args.source, settings, args.concurrency, out))
    except (RootMailError, OSError) as error:
        out.write(f"copy failed, nothing is lost; fix this and run again: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
