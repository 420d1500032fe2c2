"""Building the Graph mail source from settings: one client, one set of parts, started and stopped together."""
from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, AsyncIterator, Callable

from core.model import Mailbox
from core.addresses.pool import PoolConfigError
from core.ports import Clock, Store
from mail.graph.api import GraphMail
from mail.graph.client import RetryPolicy, credential_from, open_graph_client
from mail.graph.delta import DeltaRunner
from mail.graph.ingest import GraphIngest
from mail.graph.inventory import Inventory, MissingHook
from mail.graph.mailboxes import MailboxDirectory, Report
from mail.graph.mover import Mover
from mail.graph.source import GraphMailSource, Schedule
from mail.graph.subscriptions import SubscriptionKeeper


@dataclass(frozen=True)
class GraphConfig:
    notifications: bool  # graph: subscriptions + delta; graph-poll: delta only
    base_url: str
    public_url: str
    mailboxes: tuple[str, ...]  # empty: every mailbox of the pool
    move_to: str
    delta_every: timedelta
    sync_every: timedelta
    subscription_lifetime: timedelta
    first_sync: timedelta
    timeout: float
    instance_id: str
    low_watermark: int
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = ""
    certificate: Any = None
    authority: str = "login.microsoftonline.com"  # Entra ID host of the cloud (settings.clouds)
    scope: str = ""  # the cloud's Graph resource + /.default; empty: the base URL's host (a local fake)
    junk_every: timedelta = timedelta(minutes=1)
    policy: RetryPolicy = RetryPolicy()

    @classmethod
    def from_settings(cls, s: Any) -> "GraphConfig":
        notifications = s.mail_source == "graph"
        poll = timedelta(seconds=s.graph_poll_seconds)
        every = timedelta(minutes=s.graph_delta_minutes) if notifications else poll
        return cls(notifications, s.graph_base_url, s.graph_public_url, s.graph_mailboxes, s.graph_move_to, every,
                   timedelta(minutes=s.graph_sync_minutes), timedelta(minutes=s.graph_subscription_minutes),
                   timedelta(hours=s.graph_first_sync_hours), float(s.graph_timeout), s.instance_id,
                   s.pool_low_watermark, s.graph_tenant_id, s.graph_client_id, s.graph_client_secret,
                   s.graph_certificate, s.graph_authority, s.graph_scope, poll)


def configured_mailboxes(pool: list[tuple[Mailbox, list[str]]], wanted: tuple[str, ...]) -> list[Mailbox]:
    known = {m.address: m for m, _ in pool}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise PoolConfigError(f"ROOTMAIL_GRAPH_MAILBOXES names {', '.join(unknown)}, which the pool file does not "
                              "list; add them there with their strategy")
    return [known[w] for w in wanted] if wanted else list(known.values())


@asynccontextmanager
async def open_graph_source(config: GraphConfig, store: Store, clock: Clock, pool: list[tuple[Mailbox, list[str]]],
                            on_new_mail: Callable[[], object], on_missing: MissingHook | None = None,
                            credential: Any = None, inspector: Any = None,
                            on_unresolved: Report | None = None) -> AsyncIterator[GraphMailSource]:
    """`credential` (an azure.core AsyncTokenCredential) may be injected; otherwise built from the config and
    closed at the end."""
    mailboxes = configured_mailboxes(pool, config.mailboxes)
    async with AsyncExitStack() as stack:
        if credential is None:
            credential = credential_from(config.tenant_id, config.client_id, config.client_secret, config.certificate,
                                         config.authority)
            stack.push_async_callback(credential.close)
        client = await stack.enter_async_context(open_graph_client(credential, config.base_url, config.timeout,
                                                                   config.policy, config.scope))
        graph = GraphMail(client)
        directory = MailboxDirectory(graph, mailboxes, on_unresolved)
        inventory = Inventory(store, clock, graph, mailboxes, config.low_watermark, on_missing)
        ingest = GraphIngest(store, clock, inventory, on_new_mail, inspector)
        delta = DeltaRunner(store, clock, graph, ingest, config.instance_id, config.first_sync)
        keeper = SubscriptionKeeper(store, clock, graph, config.instance_id, config.public_url,
                                    [m.address for m in mailboxes], config.subscription_lifetime)
        schedule = Schedule(config.notifications, config.delta_every, config.sync_every,
                            check_subscriptions_every=min(timedelta(minutes=30), config.subscription_lifetime / 6),
                            junk_every=config.junk_every)
        mover = Mover(store, clock, graph, config.move_to)
        source = GraphMailSource(graph, directory, inventory, ingest, delta, mover,
                                 keeper if config.notifications else None, schedule, config.tenant_id)
        await source.start()
        try:
            yield source
        finally:
            await source.stop()
