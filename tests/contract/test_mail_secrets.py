"""Sealed secrets on inbound mail: kept with the mail, found once their reveal window closed, gone once wiped."""
from __future__ import annotations

from dataclasses import replace

from core.model import MailState
from tests.contract.conftest import T0, mail, minutes


def protected(key: str, expires_in: float, **changes):
    values = dict(kind="verification_code", severity="high", verdict="verified",
                  verdict_reason="DKIM and DMARC passed for signin.aws", secret=f"v1.abcd1234.sealed-{key}",
                  secret_kind="code", secret_expires_at=T0 + minutes(expires_in))
    return replace(mail(key), **(values | changes))


async def test_classification_verdict_and_sealed_secret_survive_a_round_trip(store):
    await store.record_mail(protected("k1", 15, posted_to="19:platform@thread.tacv2"))

    stored = await store.get_mail("k1")

    assert stored == protected("k1", 15, posted_to="19:platform@thread.tacv2")
    assert (stored.kind, stored.verdict, stored.secret_kind) == ("verification_code", "verified", "code")
    assert stored.secret_expires_at == T0 + minutes(15)


async def test_mail_without_protection_fields_reads_with_their_defaults(store):
    await store.record_mail(mail("plain"))

    stored = await store.get_mail("plain")

    assert (stored.kind, stored.severity, stored.verdict, stored.secret, stored.secret_expires_at) == (
        "other", "normal", "", "", None)


async def test_only_secrets_whose_window_closed_are_due_for_wiping_longest_expired_first(store):
    await store.record_mail(protected("later", 30))
    await store.record_mail(protected("first", 5))
    await store.record_mail(protected("second", 10, state=MailState.FORWARDED))
    await store.record_mail(mail("no-secret"))
    await store.record_mail(protected("wiped", 1, secret=""))

    due = await store.expired_secrets(T0 + minutes(10), 10)

    assert [m.key for m in due] == ["first", "second"]
    assert await store.expired_secrets(T0 + minutes(10), 1) == [await store.get_mail("first")]
    assert await store.expired_secrets(T0 + minutes(10), 0) == []
    assert await store.expired_secrets(T0, 10) == []


async def test_a_wiped_secret_is_no_longer_due(store):
    await store.record_mail(protected("k1", 5))
    [due] = await store.expired_secrets(T0 + minutes(6), 10)

    wiped = await store.update_mail(replace(due, secret=""))

    assert wiped.secret == "" and wiped.secret_expires_at == T0 + minutes(5)
    assert await store.expired_secrets(T0 + minutes(6), 10) == []
    assert (await store.get_mail("k1")).secret == ""
