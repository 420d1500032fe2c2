"""What RootMail reads out of a mail (the AWS account id it names, its fingerprint, the earlier mail it repeats the
Message-ID of) is stored with it by every store, and mail recorded before these existed reads with empty values."""
from __future__ import annotations

from dataclasses import replace

from tests.contract.conftest import mail


async def test_account_id_fingerprint_and_duplicate_of_survive_a_round_trip(store):
    found = replace(mail("k1"), account_id="111122223333", fingerprint="0" * 32, duplicate_of="k0")
    await store.record_mail(found)

    stored = await store.get_mail("k1")

    assert (stored.account_id, stored.fingerprint, stored.duplicate_of) == ("111122223333", "0" * 32, "k0")
    assert stored == found


async def test_mail_recorded_without_them_reads_with_empty_values(store):
    await store.record_mail(mail("plain"))

    stored = await store.get_mail("plain")

    assert (stored.account_id, stored.fingerprint, stored.duplicate_of) == ("", "", "")
