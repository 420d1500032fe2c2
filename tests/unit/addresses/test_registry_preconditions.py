"""A change made for one version of an address is applied to that version or not at all."""
from __future__ import annotations

from dataclasses import replace

import pytest

from core.addresses import registry
from core.errors import PreconditionFailed
from storage.sqlite import open_sqlite
from tests.contract.conftest import T0, address


class RacingStore:
    """Someone else writes the address between our read and our write, once."""

    def __init__(self, store):
        self._store, self.raced = store, False

    def __getattr__(self, name):
        return getattr(self._store, name)

    async def update_address(self, record):
        if not self.raced:
            self.raced = True
            current = await self._store.get_address(record.address)
            await self._store.update_address(replace(current, tags={"someone": "else"}))
        return await self._store.update_address(record)


@pytest.fixture
async def store(tmp_path):
    async with open_sqlite(tmp_path / "registry.db") as sqlite:
        yield sqlite


async def test_a_change_for_a_version_that_lost_a_race_is_refused(store):
    read = await store.create_address(address())
    racing = RacingStore(store)

    with pytest.raises(PreconditionFailed):
        await registry.retire(racing, lambda: T0, read.address, "aad-alice", lambda r: r.etag == read.etag)

    after = await store.get_address(read.address)
    assert (after.state.value, after.tags) == ("active", {"someone": "else"})


async def test_without_a_precondition_the_change_applies_to_the_winning_version(store):
    read = await store.create_address(address())

    retired = await registry.retire(RacingStore(store), lambda: T0, read.address, "aad-alice")

    assert (retired.state.value, retired.tags) == ("retired", {"someone": "else"})
