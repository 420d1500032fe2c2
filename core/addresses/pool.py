"""Reading the mailbox pool configuration (shared mailboxes, their strategy and aliases)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from core.model import Mailbox, Strategy
from core.addresses.rules import address_problem, normalize_address

MAX_ALIASES_PER_MAILBOX = 400  # Exchange Online's proxy-address limit per recipient
_GRAPH_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[^@\s]+@[^@\s]+", re.IGNORECASE)


class PoolConfigError(ValueError):
    pass


def _aliases(spec, where: str) -> list[str]:
    if spec is None:
        return []
    if isinstance(spec, list):
        return [normalize_address(str(a)) for a in spec]
    if isinstance(spec, dict) and {"pattern", "from", "to"} <= spec.keys():
        return [normalize_address(spec["pattern"].format(n=n)) for n in range(int(spec["from"]), int(spec["to"]) + 1)]
    raise PoolConfigError(f"{where}.aliases: give a list of addresses or {{pattern, from, to}}")


def parse_pool(data: dict) -> list[tuple[Mailbox, list[str]]]:
    problems: list[str] = []
    pool: list[tuple[Mailbox, list[str]]] = []
    entries = data.get("mailboxes") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise PoolConfigError("the pool needs a non-empty 'mailboxes' list")
    for index, entry in enumerate(entries):
        where = f"mailboxes[{index}]"
        try:
            address = normalize_address(str(entry["address"]))
            strategy = Strategy(entry.get("strategy", "alias"))
            aliases = _aliases(entry.get("aliases"), where) if strategy is Strategy.ALIAS else []
        except (KeyError, ValueError, TypeError) as error:
            problems.append(f"{where}: {error}")
            continue
        if problem := address_problem(address):
            problems.append(f"{where}.address {address!r} {problem}")
        problems += [f"{where}.aliases: {a!r} {p}" for a in aliases if (p := address_problem(a))]
        if len(aliases) > MAX_ALIASES_PER_MAILBOX:
            problems.append(f"{where}: {len(aliases)} aliases; Exchange allows {MAX_ALIASES_PER_MAILBOX} per mailbox")
        capacity = int(entry.get("capacity", min(len(aliases), 300) if aliases else 0))
        graph_id = str(entry.get("graph_id") or "").strip()
        if graph_id and not _GRAPH_ID.fullmatch(graph_id):
            problems.append(f"{where}.graph_id {graph_id!r} is neither an object id (GUID) nor a user principal name")
        pool.append((Mailbox(address, strategy, capacity, str(entry.get("state", "active")), graph_id), aliases))
    if problems:
        raise PoolConfigError("; ".join(problems))
    return pool


def load_pool_file(path: Path) -> list[tuple[Mailbox, list[str]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise PoolConfigError(f"{path}: {error}") from error
    return parse_pool(data)
