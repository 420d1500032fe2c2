"""The production store: Azure Cosmos DB (NoSQL API) through azure.cosmos.aio, one client per app.

Partition design. Four containers, named `<prefix>addresses`, `<prefix>pool`, `<prefix>mails`, `<prefix>meta`,
all partitioned by `/pk`. Ids are the natural keys, escaped (storage.cosmos.docs.escape) because Cosmos forbids
some characters in ids.

  addresses  every document is its own logical partition (pk == id), so each lookup is a point read:
             <address>             the RootAddress (lower-cased address as id)
             request:<request id>  claim: this request id belongs to <address>     } cross-partition uniqueness,
             account:<account id>  claim: this AWS account id belongs to <address> } see storage/cosmos/unique.py
  pool       pk "mailboxes": one document per mailbox; pk "aliases:<mailbox>": that mailbox's aliases
             (free | claimed). A claim is a replace conditioned on the etag (If-Match), so two claimers never
             get the same alias; the free candidates come from one query that serves many claims.
  mails      pk "mail:<recipient>", id <dedupe key>: create_item is the dedupe (409 = already recorded);
             a lease is an etag-conditioned replace that sets lease_owner/lease_until.
  meta       conversation:<id>, flag:<name> (add_flag = create_item, one winner), and audit events in
             pk "audit:<subject>" with a sortable id.

Requests per operation, steady state: get_address 1; get_by_account_id / get_by_request_id 2 (claim, then the
address it names); create_address 1 + one per unique id it carries (3 at most); update_address 2 (read, replace),
+1 to claim a new account id, +2 to release an old one. A whole Allocator.allocate is 3: alias replace, request
claim, address document — the allocation's audit event rides in the address document (`created_event`, merged back
by audit_for), so the two are also one atomic write; +1 when the request also links an account id (see
BENCHMARKS.md).
Queries that stay in one partition name it and also filter on c.pk in their SQL. Listing by owner, search, the
due-mail query and counts cross partitions; listing pages by keyset (the last sort key, as an opaque token)
rather than by the SDK's continuation, which the Python SDK cannot resume for cross-partition ORDER BY queries.

Consistency: uniqueness and leases rest on writes (create 409, If-Match 412), which Cosmos DB checks on the
primary whatever the account's consistency level. Reads by another instance may lag by milliseconds under
Session consistency; the claim protocol tolerates that (an unconfirmed claim is waited for, not taken).

Throttling (429) and transient failures are retried by the SDK within bounds set here; whatever still fails
becomes a core error (storage.cosmos.calls).
"""
from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient, DatabaseProxy
from azure.cosmos.exceptions import CosmosHttpResponseError

from core.errors import StoreUnavailable
from storage.cosmos.calls import NOT_FOUND, Docs, translated
from storage.cosmos.docs import (ADDRESSES, MAILS, META, PARTITION_KEY_PATH, POOL, indexing_policy,
                                 missing_indexes)
from storage.cosmos.store import CosmosStore

__all__ = ["CosmosSettings", "CosmosStore", "open_cosmos"]


@dataclass(frozen=True)
class CosmosSettings:
    endpoint: str
    key: str = field(default="", repr=False)  # empty: Entra ID (the credential, or DefaultAzureCredential)
    credential: Any = field(default=None, repr=False)  # an azure.core AsyncTokenCredential
    managed_identity_client_id: str = ""  # which user-assigned identity DefaultAzureCredential uses; "": its choice
    database: str = "rootmail"
    container_prefix: str = ""
    create_if_missing: bool = False  # creating needs control-plane rights that least-privilege identities lack
    throughput: int | None = None  # RU/s of a database created here; None for serverless accounts
    timeout: float = 20.0  # seconds for one store call, the SDK's retries included
    throttle_retries: int = 6
    throttle_max_wait: float = 10.0  # seconds of 429 back-off per call, at most
    claim_grace: float = 120.0  # seconds before an unfinished uniqueness claim counts as abandoned

    def __post_init__(self) -> None:
        if self.claim_grace <= self.timeout:
            raise ValueError("claim_grace must be longer than timeout, or a slow writer could lose its claim")


@asynccontextmanager
async def open_cosmos(settings: CosmosSettings, **client_options: Any) -> AsyncIterator[CosmosStore]:
    """Open the one CosmosClient of the app, check (or create) the containers, yield the store, close it all.
    `client_options` go to CosmosClient as they are (transport, hooks, connection settings)."""
    async with AsyncExitStack() as stack:
        credential = settings.key or settings.credential
        if not credential:
            from azure.identity.aio import DefaultAzureCredential

            # a user-assigned identity must be named: Container Apps has no default one to fall back on
            credential = await stack.enter_async_context(DefaultAzureCredential(
                managed_identity_client_id=settings.managed_identity_client_id or None))
        options = {"retry_throttle_total": settings.throttle_retries,
                   "retry_throttle_backoff_max": settings.throttle_max_wait,
                   "connection_timeout": min(10.0, settings.timeout), "user_agent_suffix": "rootmail",
                   **client_options}
        client = CosmosClient(settings.endpoint, credential, **options)
        stack.push_async_callback(client.close)  # also when opening fails half-way, which `async with` would not
        with translated(f"connecting to {settings.endpoint}"):
            await client.__aenter__()
        database = client.get_database_client(settings.database)
        if settings.create_if_missing:
            database = await _create_database(client, settings)
        docs = {name: await _container(database, settings, name) for name in (ADDRESSES, POOL, MAILS, META)}
        yield CosmosStore(docs[ADDRESSES], docs[POOL], docs[MAILS], docs[META], settings.claim_grace)


async def _create_database(client: CosmosClient, settings: CosmosSettings) -> DatabaseProxy:
    with translated(f"creating database {settings.database}"):
        return await client.create_database_if_not_exists(settings.database, offer_throughput=settings.throughput)


async def _container(database: DatabaseProxy, settings: CosmosSettings, name: str) -> Docs:
    """The container, created when asked to; its properties are read once here, which also proves it exists."""
    full_name = settings.container_prefix + name
    with translated(f"opening container {full_name} in database {settings.database}"):
        try:
            if settings.create_if_missing:
                container = await database.create_container_if_not_exists(
                    full_name, PartitionKey(PARTITION_KEY_PATH), indexing_policy=indexing_policy(name))
            else:
                container = database.get_container_client(full_name)
            properties = await container.read()
        except CosmosHttpResponseError as error:
            if error.status_code != NOT_FOUND:
                raise
            raise StoreUnavailable(
                f"Cosmos DB container {full_name} in database {settings.database} does not exist. Create it "
                f"(partition key {PARTITION_KEY_PATH}, see storage/cosmos/client.py) or allow RootMail to create it.",
                "missing") from None
    paths = properties.get("partitionKey", {}).get("paths", [])
    if paths != [PARTITION_KEY_PATH]:
        raise StoreUnavailable(f"Cosmos DB container {full_name} is partitioned by {paths}; RootMail needs "
                               f"['{PARTITION_KEY_PATH}'].", "shape")
    if missing := missing_indexes(name, properties.get("indexingPolicy", {})):
        raise StoreUnavailable(f"Cosmos DB container {full_name} lacks the composite index "
                               f"{'; '.join(missing)} in its indexing policy (see storage/cosmos/docs.py).", "shape")
    return Docs(container, full_name, settings.timeout)

