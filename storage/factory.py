"""Opening the configured store as one async context manager: a SQLite file or Azure Cosmos DB.

`open_store("sqlite:///var/rootmail.db")`, `open_store(CosmosSettings(...))`, or `open_store(settings)` with the
app's settings (ROOTMAIL_STORE and the ROOTMAIL_COSMOS_* values). azure.cosmos is imported only for Cosmos.
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Protocol, Union

from core.ports import Store
from storage.sqlite import open_sqlite

if TYPE_CHECKING:
    from storage.cosmos.client import CosmosSettings

SQLITE_PREFIX = "sqlite:///"


class AppStoreSettings(Protocol):
    """The part of the app's Settings that says where records live."""

    store_url: str
    cosmos_endpoint: str
    cosmos_key: str
    cosmos_database: str
    cosmos_create: bool


StoreTarget = Union[str, "CosmosSettings", AppStoreSettings]


def sqlite_path(url: str, root: Path | None = None) -> Path | str:
    """`sqlite:///var/x.db` is relative (to `root`, else the working directory); `sqlite:////srv/x.db` absolute."""
    if not url.startswith(SQLITE_PREFIX):
        raise ValueError(f"not a SQLite store URL: {url!r} (expected sqlite:///PATH)")
    raw = url.removeprefix(SQLITE_PREFIX)
    if raw == ":memory:":
        return raw
    path = Path(raw)
    return path if path.is_absolute() or root is None else root / path


def cosmos_settings(settings: AppStoreSettings, **overrides: Any) -> "CosmosSettings":
    """CosmosSettings from the app's settings; an empty key means Entra ID (DefaultAzureCredential)."""
    from storage.cosmos.client import CosmosSettings

    values: dict[str, Any] = {"endpoint": settings.cosmos_endpoint, "key": settings.cosmos_key,
                              "database": settings.cosmos_database, "create_if_missing": settings.cosmos_create,
                              "container_prefix": getattr(settings, "cosmos_container_prefix", ""),
                              "managed_identity_client_id": getattr(settings, "managed_identity_client_id", "")}
    return CosmosSettings(**(values | overrides))


@asynccontextmanager
async def open_store(target: StoreTarget, *, root: Path | None = None,
                     **cosmos_client_options: Any) -> AsyncIterator[Store]:
    """Yield the store `target` names and close it on exit. `cosmos_client_options` go to CosmosClient."""
    if isinstance(target, str):
        if target == "cosmos":
            raise ValueError("a Cosmos DB store needs its settings: pass CosmosSettings or the app's settings")
        async with open_sqlite(sqlite_path(target, root)) as store:
            yield store
        return
    if hasattr(target, "store_url"):
        if target.store_url != "cosmos":
            async with open_store(target.store_url, root=root) as store:
                yield store
            return
        target = cosmos_settings(target)
    from storage.cosmos.client import open_cosmos

    async with open_cosmos(target, **cosmos_client_options) as store:
        yield store
