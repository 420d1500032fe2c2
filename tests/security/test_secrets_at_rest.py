"""Sealed codes where they should not be: a key file other users could read was used without a word; a wiped sealed
code survived in SQLite's write-ahead log (and in freed pages); at DEBUG, aiosqlite logged every SQL parameter, the
sealed codes and previews included."""
from __future__ import annotations

import logging

import pytest

from app import create_app
from core.intake.reveal import wipe_expired
from core.model import MailState
from crypto.box import new_key_text
from tests.integration.protection_helpers import CLOCK, aws_mail, deliver, owned_address, settled, start  # noqa: F401


async def _forwarded_code(rootmail):
    address = await owned_address(rootmail)
    await deliver(rootmail, aws_mail("verification", address).message, address)
    await settled(rootmail, MailState.FORWARDED)
    [mail] = await rootmail.store.recent_mails(address, 1)
    assert mail.secret.startswith("v1.")
    return mail


async def test_a_wiped_sealed_code_leaves_no_copy_in_the_database_files(start, tmp_path):
    rootmail = await start()
    mail = await _forwarded_code(rootmail)
    blob = mail.secret.rsplit(".", 1)[1].encode()

    clock = rootmail.client.app[CLOCK]
    clock.advance(minutes=16)  # past the reveal window (ROOTMAIL_REVEAL_MINUTES=15)
    assert await wipe_expired(rootmail.store, clock) == 1

    files = sorted(tmp_path.glob("rootmail.db*"))
    assert [f.name for f in files if f.name.endswith(("-wal", ".db"))]
    assert all(blob not in f.read_bytes() for f in files), [f.name for f in files if blob in f.read_bytes()]


async def test_debug_logging_never_shows_a_sealed_code_or_a_preview(start, caplog):
    rootmail = await start()
    with caplog.at_level(logging.DEBUG):
        mail = await _forwarded_code(rootmail)

    assert mail.secret not in caplog.text and mail.secret.rsplit(".", 1)[1] not in caplog.text
    assert mail.preview[:40] not in caplog.text


async def test_a_key_file_other_users_can_read_is_refused_at_start_and_left_as_it_was(aiohttp_client, make_settings,
                                                                                      tmp_path):
    key = tmp_path / "secret.key"
    key.write_text(new_key_text() + "\n")
    key.chmod(0o644)

    with pytest.raises(Exception) as refused:
        await aiohttp_client(create_app(make_settings()))

    assert "can be read by other users" in str(refused.value) and str(key) in str(refused.value)
    assert key.stat().st_mode & 0o777 == 0o644
