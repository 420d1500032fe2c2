"""The doctor's sealing-key checks: the key is set where instances share a store, private where it is a file, and the
same on every instance — compared by key id, never printed."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from core.intake.sealing_keys import note_key_id
from crypto.box import key_id, parse_keys
from doctor.report import FAILED, PASSED, SKIPPED, as_json, as_text
from storage.sqlite import open_sqlite
from tests.integration.doctor.conftest import KEY

OTHER_KEY = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="


def now() -> datetime:
    return datetime.now(timezone.utc)


async def note(tmp_path, key: str, instance: str, at=now) -> None:
    async with open_sqlite(tmp_path / "rootmail.db") as store:
        await note_key_id(store, at, key_id(parse_keys(key)[0]), instance)


async def test_instances_sealing_with_another_key_fail_naming_them_and_never_printing_a_key(diagnose, tmp_path):
    await note(tmp_path, OTHER_KEY, "rootmail-7f9c")
    found = await diagnose(("store", "secrets"), ROOTMAIL_SECRET_KEY=KEY)
    finding = found.one("secrets", "every instance seals with the same key")
    assert finding.status == FAILED and "rootmail-7f9c" in finding.detail and "ROOTMAIL_SECRET_KEY" in finding.fix
    for output in (as_text(found), as_json(found)):
        assert KEY not in output and OTHER_KEY not in output and KEY.rstrip("=") not in output


async def test_instances_sealing_with_the_same_key_pass(diagnose, tmp_path):
    await note(tmp_path, KEY, "rootmail-1")
    await note(tmp_path, OTHER_KEY, "rootmail-old", at=lambda: now() - timedelta(days=3))  # a key rotated out
    found = await diagnose(("store", "secrets"), ROOTMAIL_SECRET_KEY=KEY)
    assert found.one("secrets", "every instance seals with the same key").status == PASSED, found.text()


async def test_a_world_readable_key_file_fails_with_chmod(diagnose, tmp_path):
    async with open_sqlite(tmp_path / "rootmail.db"):
        pass
    key_file = tmp_path / "secret.key"
    key_file.write_text(KEY + "\n")
    os.chmod(key_file, 0o644)
    found = await diagnose(("store", "secrets"))
    finding = found.one("secrets", "the sealing key file is private")
    assert finding.status == FAILED and finding.fix == f"chmod 600 {key_file}"
    assert found.one("secrets", "every instance").status == SKIPPED  # nobody noted a key id yet


async def test_a_shared_store_without_a_key_fails(diagnose, tmp_path):
    found = await diagnose(("secrets",), ROOTMAIL_STORE="cosmos", ROOTMAIL_COSMOS_ENDPOINT="https://127.0.0.1:1/")
    [finding] = found.of("secrets")
    assert finding.status == FAILED and "ROOTMAIL_SECRET_KEY" in finding.fix
