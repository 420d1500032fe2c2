"""The store until the real one answers: every call fails at once with what is down and since when.

The app serves HTTP before the store opens (a Cosmos DB outage must not keep /healthz or `help` down); the
wiring opens the real store in the background and attaches it here, after which every call goes straight to it.
"""
from __future__ import annotations

from typing import Any, Callable

from core.errors import StoreUnavailable
from core.ports import Store


class PendingStore:
    def __init__(self, why: Callable[[], str]):
        self._why = why
        self._store: Store | None = None

    def attach(self, store: Store) -> None:
        self._store = store

    @property
    def attached(self) -> Store | None:
        return self._store

    def __getattr__(self, name: str) -> Any:
        store = self.__dict__.get("_store")
        if store is not None:
            return getattr(store, name)
        if name.startswith("__"):
            raise AttributeError(name)

        async def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise StoreUnavailable(self._why())
        return unavailable
