"""Which sealing key each instance uses, by key id only (never the key): instances that seal with different keys cannot
open each other's codes, so each one notes its id in the store and the doctor (and the next instance) compares."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from core.ports import Clock, Store

PREFIX = "sealing-key:"
RECENT = timedelta(days=1)  # ids noted longer ago than this belong to keys rotated out (or instances long gone)
MAX_IDS = 50


async def note_key_id(store: Store, clock: Clock, key_id: str, instance_id: str) -> dict[str, str]:
    """Record that this instance seals with `key_id`; returns the other ids seen recently, with the instance that
    noted each (empty when every recent instance seals with the same key)."""
    await store.set_flag(PREFIX + key_id, json.dumps({"instance": instance_id, "seen": clock().isoformat()}))
    return {kid: who for kid, who in (await recent_key_ids(store, clock)).items() if kid != key_id}


async def recent_key_ids(store: Store, clock: Clock) -> dict[str, str]:
    """Key id -> the instance that last noted it, for ids noted within RECENT."""
    found = {}
    for name, value in await store.flags_with_prefix(PREFIX, MAX_IDS):
        try:
            note = json.loads(value)
            seen = datetime.fromisoformat(note["seen"])
        except (ValueError, KeyError, TypeError):
            continue
        if clock() - seen <= RECENT:
            found[name.removeprefix(PREFIX)] = str(note.get("instance", ""))
    return found
