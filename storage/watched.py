"""A Store that tells a listener which addresses changed, whoever changed them (a command, a button, the API)."""
from __future__ import annotations

from typing import Any, Callable

from core.model import RootAddress
from core.ports import Store


class Watched:
    """Every Store call goes through unchanged; after an address record is written, `listener(address)` runs (it
    must not block: RootMail's card updates schedule their work)."""

    def __init__(self, store: Store, listener: Callable[[str], None] | None = None):
        self._store = store
        self.listener = listener

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def update_address(self, record: RootAddress) -> RootAddress:
        updated = await self._store.update_address(record)
        if self.listener is not None:
            self.listener(updated.address)
        return updated
