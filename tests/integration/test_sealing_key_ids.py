"""Each instance notes the id of the key it seals with (never the key) once the store answers, and says so loudly
when another recent instance seals with a different key: codes sealed there would not open here."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from app import INSPECTOR, STORE, create_app
from core.intake.sealing_keys import PREFIX, note_key_id

KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


async def noted(store, key_id: str) -> str:
    for _ in range(200):
        if (value := await store.get_flag(PREFIX + key_id)) is not None:
            return value
        await asyncio.sleep(0.01)
    raise AssertionError("the instance never noted its key id")


async def test_an_instance_notes_its_key_id_and_warns_when_another_seals_differently(aiohttp_client, make_settings,
                                                                                    caplog):
    app = create_app(make_settings(ROOTMAIL_SECRET_KEY=KEY, ROOTMAIL_INSTANCE_ID="rootmail-b"))
    with caplog.at_level(logging.WARNING, "wiring.protection"):
        client = await aiohttp_client(app)
        store, box = client.app[STORE], client.app[INSPECTOR].box
        await note_key_id(store, lambda: datetime.now(timezone.utc), "0badc0de", "rootmail-a")
        await client.close()
        client = await aiohttp_client(create_app(make_settings(ROOTMAIL_SECRET_KEY=KEY,
                                                               ROOTMAIL_INSTANCE_ID="rootmail-b")))
        assert "rootmail-b" in await noted(client.app[STORE], box.sealing_key_id)
        for _ in range(100):
            if any("different ROOTMAIL_SECRET_KEY" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.01)
    [warning] = [r for r in caplog.records if "different ROOTMAIL_SECRET_KEY" in r.getMessage()]
    assert warning.other_key_ids == {"0badc0de": "rootmail-a"} and KEY not in str(vars(warning))
