"""The admin status: pool fill, mail backlog per state, this instance's lanes, and the Graph source's last sync."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from core.addresses.inventory import MailboxStatus, pool_status
from core.model import MailState
from core.ports import Store

# Flag names the Graph mail source writes (mail.graph.delta.LINK_FLAG, mail.graph.subscriptions.RECORD_FLAG);
# tests/unit/delivery/test_status.py checks they still match.
GRAPH_DELTA_FLAG = "graph-delta:"
GRAPH_SUBSCRIPTION_FLAG = "graph-subscription:"
MAX_SOURCES = 50


@dataclass(frozen=True)
class LaneStatus:
    queued: int  # mails waiting in this instance's lanes
    in_flight: int
    busiest: list[tuple[str, int]]  # conversations with the longest backlog here
    posts: int  # since this instance started
    digests: int


@dataclass(frozen=True)
class Status:
    at: datetime
    pool: list[MailboxStatus]
    mails: dict[str, int]  # per MailState value
    lanes: LaneStatus | None
    graph: bool  # the Graph mail source is configured
    synced: dict[str, datetime | None] = field(default_factory=dict)  # mailbox -> delta covered up to
    subscriptions: dict[str, datetime | None] = field(default_factory=dict)  # mailbox -> expiry

    @property
    def pending(self) -> int:
        return self.mails.get(MailState.RECEIVED.value, 0) + self.mails.get(MailState.FAILED.value, 0)


async def gather_status(store: Store, now: datetime, graph: bool, lanes: LaneStatus | None) -> Status:
    mails = {state.value: await store.count_mails(state.value) for state in MailState}
    synced = await _times(store, GRAPH_DELTA_FLAG, "covered") if graph else {}
    subscriptions = await _times(store, GRAPH_SUBSCRIPTION_FLAG, "expires") if graph else {}
    return Status(now, await pool_status(store), mails, lanes, graph, synced, subscriptions)


async def _times(store: Store, prefix: str, key: str) -> dict[str, datetime | None]:
    found: dict[str, datetime | None] = {}
    for name, value in await store.flags_with_prefix(prefix, MAX_SOURCES):
        try:
            found[name.removeprefix(prefix)] = datetime.fromisoformat(json.loads(value)[key])
        except (ValueError, KeyError, TypeError):  # written by another version: shown as unknown, never fatal
            found[name.removeprefix(prefix)] = None
    return found
