"""What only the Cosmos DB store has to get right: request budgets, abandoned claims, throttling and outages."""
from __future__ import annotations

import asyncio
import itertools
import time

import pytest
from azure.core.pipeline.transport import AioHttpTransport

from core.addresses.allocation import Allocator, load_pool
from core.errors import DuplicateRequest, StoreUnavailable
from core.model import Mailbox, Strategy
from core.addresses.rules import NewAddressRequest
from storage.cosmos.client import CosmosSettings, open_cosmos
from storage.cosmos.docs import claim_doc
from tests.contract.conftest import ALICE, T0, TEAM, address, cosmos_test_store, mail
from tests.cosmos_server import RequestLog, running_cosmos_server

pytestmark = pytest.mark.cosmos


async def test_lookups_and_the_allocation_write_take_at_most_three_requests(cosmos_server):
    log = RequestLog()
    async with cosmos_test_store(cosmos_server, log.client_options()) as store:
        await store.create_address(address("aws+warm-up@example.com"))  # the SDK's first-use reads

        costs = {}
        for name, call in [
            ("create", lambda: store.create_address(address(account_id="111122223333", request_id="req-1"))),
            ("by address", lambda: store.get_address("AWS+Billing@example.com")),
            ("by account id", lambda: store.get_by_account_id("111122223333")),
            ("by request id", lambda: store.get_by_request_id("req-1")),
            ("missing address", lambda: store.get_address("aws+nobody@example.com")),
            ("missing request id", lambda: store.get_by_request_id("req-unknown")),
        ]:
            before = log.count()
            await call()
            costs[name] = log.count() - before

    assert costs == {"create": 3, "by address": 1, "by account id": 2, "by request id": 2, "missing address": 1,
                     "missing request id": 1}


async def test_a_whole_allocation_stays_within_its_request_budget(cosmos_server):
    log = RequestLog()
    async with cosmos_test_store(cosmos_server, log.client_options()) as store:
        await load_pool(store, [(Mailbox("pool@example.com", Strategy.ALIAS), [f"a-{i}@example.com" for i in range(50)])],
                        low_watermark=5)
        counter = itertools.count()
        allocate = Allocator(store, lambda: T0, lambda: f"{next(counter):04x}", low_watermark=5).allocate
        await allocate(NewAddressRequest("Warm Up", "production", "x", None, "req-0"), TEAM, ALICE)

        before = log.count()
        billing = await allocate(NewAddressRequest("Billing", "production", "x", None, "req-1"), TEAM, ALICE)
        plain = log.count() - before
        before = log.count()
        await allocate(NewAddressRequest("Payroll", "production", "x", "111122223333", "req-2"), TEAM, ALICE)
        with_account = log.count() - before
        audit = await store.audit_for(billing.record.address, 10)

    # alias replace (the free list was read by the warm-up), request claim, address document carrying the audit
    # event. No reads: uniqueness errors answer what a read would have asked. An account id is one claim more.
    assert (plain, with_account) == (3, 4)
    assert [(e.action, e.detail["account_name"]) for e in audit] == [("allocate", "Billing")]


async def test_an_abandoned_request_claim_is_invisible_and_taken_over(cosmos_server):
    async with cosmos_test_store(cosmos_server) as store:
        abandoned = claim_doc("request", "req-9", "aws+crashed@example.com", time.time() - 3600)
        await store._addresses.create(abandoned)  # a writer claimed, then died before writing its address

        assert await store.get_by_request_id("req-9") is None
        created = await store.create_address(address("aws+retry@example.com", request_id="req-9"))

        assert (await store.get_by_request_id("req-9")).address == created.address
        with pytest.raises(DuplicateRequest) as duplicate:
            await store.create_address(address("aws+third@example.com", request_id="req-9"))
        assert duplicate.value.address == "aws+retry@example.com"


async def test_a_claim_left_by_an_earlier_try_of_the_same_address_is_reused(cosmos_server):
    async with cosmos_test_store(cosmos_server) as store:
        await store._addresses.create(claim_doc("account", "111122223333", "aws+billing@example.com", time.time()))

        await store.create_address(address("aws+billing@example.com", account_id="111122223333"))

        assert (await store.get_by_account_id("111122223333")).address == "aws+billing@example.com"


class Throttling(AioHttpTransport):
    """Answers 429 (with the service's retry-after header) for the first `times` reads of a document."""

    def __init__(self, times: int):
        super().__init__()
        self.left = times

    async def send(self, request, **kwargs):
        response = await super().send(request, **kwargs)
        if request.method == "GET" and "/docs/" in request.url and self.left > 0:
            self.left -= 1
            response.status_code = 429
            response.headers["x-ms-retry-after-ms"] = "5"
        return response


async def test_throttled_calls_are_retried_within_bounds(cosmos_server):
    async with cosmos_test_store(cosmos_server, {"transport": Throttling(2)}, throttle_retries=3) as store:
        await store.create_address(address())

        assert (await store.get_address("aws+billing@example.com")).account_name == "Billing Prod"


async def test_throttling_beyond_the_bound_is_store_unavailable(cosmos_server):
    async with cosmos_test_store(cosmos_server, {"transport": Throttling(1000)}, throttle_retries=2) as store:
        with pytest.raises(StoreUnavailable, match="429"):
            await store.get_address("aws+billing@example.com")


class ThrottledReplaces(AioHttpTransport):
    """Once given a mail `key`, answers 429 for every replace (PUT) of it, as a container short of RU/s answers
    (https://learn.microsoft.com/azure/cosmos-db/nosql/troubleshoot-request-rate-too-large)."""

    def __init__(self):
        super().__init__()
        self.key = ""

    async def send(self, request, **kwargs):
        response = await super().send(request, **kwargs)
        if self.key and request.method == "PUT" and request.url.rstrip("/").endswith(f"/docs/{self.key}"):
            response.status_code = 429
            response.headers["x-ms-retry-after-ms"] = "5"
        return response


async def test_a_batch_with_a_replace_throttled_beyond_the_bound_is_unavailable_as_update_mail_is(cosmos_server):
    from dataclasses import replace

    from core.model import MailState
    from tests.contract.conftest import mail, minutes

    throttled = ThrottledReplaces()
    async with cosmos_test_store(cosmos_server, {"transport": throttled}, throttle_retries=1) as store:
        for key in ("k1", "k2", "k3"):
            await store.record_mail(mail(key))
        claimed = {m.key: m for m in await store.claim_due_mails(T0, "app-1", T0 + minutes(1), 3)}
        done = [replace(claimed[k], state=MailState.FORWARDED) for k in ("k1", "k2", "k3")]
        throttled.key = "k2"

        with pytest.raises(StoreUnavailable, match="429"):
            await store.update_mail(done[1])
        with pytest.raises(StoreUnavailable, match="429"):
            await store.update_mails(done)
        # every replace was answered before the call gave up: the neighbours went through (k2 too, in fact: this
        # transport turns the server's answer into a 429 after it wrote, a write that only seemed to fail)
        assert [(await store.get_mail(k)).state for k in ("k1", "k3")] == [MailState.FORWARDED] * 2


async def test_a_store_that_went_away_is_unavailable_quickly():
    server_running = running_cosmos_server()
    server = await asyncio.to_thread(server_running.__enter__)
    settings = CosmosSettings(server.endpoint, server.key, database="gone", create_if_missing=True, timeout=1.0,
                              claim_grace=10.0)
    async with open_cosmos(settings) as store:
        await store.ping()
        await asyncio.to_thread(server_running.__exit__, None, None, None)

        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await store.get_address("aws+billing@example.com")
        with pytest.raises(StoreUnavailable):
            await store.ping()
        assert time.monotonic() - started < 6  # two calls, each bounded by the 1 s timeout (plus slack)


async def test_a_container_without_the_needed_index_stops_the_start(cosmos_server):
    from azure.cosmos import PartitionKey
    from azure.cosmos.aio import CosmosClient

    database = f"bare-{int(time.time() * 1000)}"
    async with CosmosClient(cosmos_server.endpoint, cosmos_server.key) as client:
        db = await client.create_database(database)
        for name in ("addresses", "pool", "mails", "meta"):
            await db.create_container(name, PartitionKey("/pk"))  # the portal's defaults: no composite index
        try:
            with pytest.raises(StoreUnavailable, match="composite index /owner_id ascending \\+ /sort_key ascending"):
                async with open_cosmos(CosmosSettings(cosmos_server.endpoint, cosmos_server.key, database=database)):
                    pass
        finally:
            await client.delete_database(database)


class StaticToken:
    """An azure.core AsyncTokenCredential that hands out one token and remembers what it was asked for."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **options):
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        return AccessToken("entra-token", int(time.time()) + 3600)

    async def close(self) -> None:
        pass


async def test_without_a_key_the_store_signs_in_with_the_credential(cosmos_server):
    credential = StaticToken()
    log = RequestLog()
    async with cosmos_test_store(cosmos_server, log.client_options(), key="", credential=credential) as store:
        await store.create_address(address())
        assert (await store.get_address("aws+billing@example.com")).account_name == "Billing Prod"

    assert credential.scopes and credential.scopes[0] == ("https://127.0.0.1/.default",)


def refusing(docs, method: str, marker: str) -> None:
    """The container's `method` fails as Docs fails (StoreUnavailable, nothing written) for a document id naming
    `marker`; every other document goes through to the server."""
    original = getattr(docs, method)

    async def call(first, *args):
        if marker in (first["id"] if isinstance(first, dict) else first):
            raise StoreUnavailable(f"Cosmos DB answered 503 while writing {docs.name}.", "unreachable")
        return await original(first, *args)
    setattr(docs, method, call)


async def test_one_failing_document_in_a_batch_does_not_keep_the_others_from_being_written(cosmos_server):
    async with cosmos_test_store(cosmos_server) as store:
        refusing(store._mails, "create", "poison")
        refusing(store._meta, "delete", "poison")
        with pytest.raises(StoreUnavailable, match="1 of 3 documents failed; the first: Cosmos DB answered 503") as e:
            await store.record_mails([mail("k1"), mail("k-poison"), mail("k3")], {"graph-move:mb:1": "note"})
        assert e.value.kind == "unreachable"
        assert sorted(await store.mail_states(["k1", "k-poison", "k3"])) == ["k1", "k3"]
        assert await store.get_flag("graph-move:mb:1") == "note"
        assert await store.record_mails([mail("k1"), mail("k3")]) == [False, False]  # again: harmless

        await store.set_flag("graph-move:mb:poison", "note")
        await store.set_flag("graph-move:mb:3", "note")
        with pytest.raises(StoreUnavailable, match="1 of 3 documents failed"):
            await store.delete_flags(["graph-move:mb:1", "graph-move:mb:poison", "graph-move:mb:3"])
        assert await store.flags_with_prefix("graph-move:", 10) == [("graph-move:mb:poison", "note")]


async def test_a_failing_flag_stops_a_batch_before_its_mails(cosmos_server):
    """A record is never written without its move note (GraphIngest set the note first when it wrote one by one)."""
    async with cosmos_test_store(cosmos_server) as store:
        refusing(store._meta, "upsert", "poison")
        with pytest.raises(StoreUnavailable, match="1 of 2 documents failed"):
            await store.record_mails([mail("k1")], {"graph-move:mb:poison": "note", "graph-move:mb:2": "note"})
        assert await store.mail_states(["k1"]) == {}
        assert await store.get_flag("graph-move:mb:2") == "note"
