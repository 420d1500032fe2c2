"""Calls on one Cosmos DB container, with SDK errors turned into RootMail's: the store above reads as plain logic.

Expected outcomes come back as values (a missing document is None, a taken id or a stale etag is None/False);
everything else the SDK could not get through, after its own bounded retries, becomes StoreUnavailable.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterator

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ClientAuthenticationError
from azure.cosmos.aio import ContainerProxy
from azure.cosmos.exceptions import CosmosHttpResponseError

from core.errors import NotFound, StoreUnavailable

logger = logging.getLogger(__name__)

NOT_FOUND, CONFLICT, PRECONDITION_FAILED, THROTTLED = 404, 409, 412, 429
OWNER_RESOURCE_MISSING = 1003  # sub-status of a 404 when the database or container itself does not exist

Params = list[dict[str, Any]]


def params(**values: Any) -> Params:
    return [{"name": f"@{name}", "value": value} for name, value in values.items()]


def _reason(error: CosmosHttpResponseError) -> str:
    status, sub = error.status_code, error.sub_status
    if status == THROTTLED:
        return "Cosmos DB kept throttling (429) after retries; the container needs more RU/s"
    if status in (401, 403):
        return (f"Cosmos DB refused access ({status}): check the key, or the identity's Cosmos DB data-plane "
                "role assignment")
    if status == NOT_FOUND and sub == OWNER_RESOURCE_MISSING:
        return "the Cosmos DB database or container does not exist (create it, or start with create_if_missing)"
    return f"Cosmos DB answered {status}{f'/{sub}' if sub else ''}"


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Any SDK failure inside becomes StoreUnavailable naming what RootMail was doing; the cause stays chained."""
    try:
        yield
    except ClientAuthenticationError as error:
        raise StoreUnavailable(
            f"No Entra ID token for Cosmos DB while {action}: give RootMail an identity (managed or workload "
            "identity, or az login) with a Cosmos DB data-plane role, or configure the account key.",
            "access") from error
    except CosmosHttpResponseError as error:
        logger.warning("cosmos call failed", extra={"action": action, "status": error.status_code,
                                                    "sub_status": error.sub_status})
        raise StoreUnavailable(f"{_reason(error)} while {action}.", _kind(error)) from error
    except AzureError as error:
        logger.warning("cosmos call failed", extra={"action": action, "error": type(error).__name__})
        raise StoreUnavailable(f"Cosmos DB could not be reached while {action} ({type(error).__name__}).",
                               "unreachable") from error


def _kind(error: CosmosHttpResponseError) -> str:
    if error.status_code in (401, 403):
        return "access"
    if error.status_code == NOT_FOUND and error.sub_status == OWNER_RESOURCE_MISSING:
        return "missing"
    return ""


def _is(error: CosmosHttpResponseError, status: int) -> bool:
    return error.status_code == status and not (status == NOT_FOUND and error.sub_status == OWNER_RESOURCE_MISSING)


class Docs:
    """One container. `timeout` bounds every call, the SDK's own retries included."""

    def __init__(self, container: ContainerProxy, name: str, timeout: float):
        self.container, self.name, self._timeout = container, name, timeout

    async def properties(self) -> dict[str, Any]:
        with translated(f"reading container {self.name}"):
            return await self.container.read(timeout=self._timeout)

    async def read(self, id: str, pk: str) -> dict[str, Any] | None:
        with translated(f"reading {self.name}/{id}"):
            try:
                return await self.container.read_item(id, pk, timeout=self._timeout)
            except CosmosHttpResponseError as error:
                if _is(error, NOT_FOUND):
                    return None
                raise

    async def create(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The stored document, or None when the id is already taken in that partition."""
        with translated(f"creating {self.name}/{body['id']}"):
            try:
                return await self.container.create_item(body, timeout=self._timeout)
            except CosmosHttpResponseError as error:
                if _is(error, CONFLICT):
                    return None
                raise

    async def upsert(self, body: dict[str, Any]) -> dict[str, Any]:
        with translated(f"writing {self.name}/{body['id']}"):
            return await self.container.upsert_item(body, timeout=self._timeout)

    async def replace(self, body: dict[str, Any], etag: str) -> dict[str, Any] | None:
        """The new document, or None when the stored one no longer has `etag`. NotFound when it is gone."""
        with translated(f"replacing {self.name}/{body['id']}"):
            try:
                return await self.container.replace_item(body["id"], body, etag=etag,
                                                         match_condition=MatchConditions.IfNotModified,
                                                         timeout=self._timeout)
            except CosmosHttpResponseError as error:
                if _is(error, PRECONDITION_FAILED):
                    return None
                if _is(error, NOT_FOUND):
                    raise NotFound(f"{self.name}/{body['id']} does not exist.") from None
                raise

    async def delete(self, id: str, pk: str, etag: str | None = None) -> bool:
        """True if this call deleted it; False when it was already gone or (with `etag`) had changed."""
        conditions = {"etag": etag, "match_condition": MatchConditions.IfNotModified} if etag else {}
        with translated(f"deleting {self.name}/{id}"):
            try:
                await self.container.delete_item(id, pk, timeout=self._timeout, **conditions)
                return True
            except CosmosHttpResponseError as error:
                if _is(error, NOT_FOUND) or _is(error, PRECONDITION_FAILED):
                    return False
                raise

    async def query(self, sql: str, parameters: Params | None = None, pk: str | None = None) -> list[Any]:
        """Every result. With `pk` the query stays in that partition; the SQL must also filter on c.pk, so it is
        right on servers that ignore the partition header."""
        with translated(f"querying {self.name}"):
            options: dict[str, Any] = {"partition_key": pk} if pk is not None else {}
            items = self.container.query_items(sql, parameters=parameters or [], timeout=self._timeout, **options)
            return [item async for item in items]

    async def scalar(self, sql: str, parameters: Params | None = None, pk: str | None = None) -> Any:
        """A `SELECT VALUE <aggregate>` result; cross-partition aggregates come back one value per partition range."""
        values = await self.query(sql, parameters, pk)
        return sum(values) if values else 0
