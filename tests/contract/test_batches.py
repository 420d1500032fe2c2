"""The Graph path's batches: a fetch's notes and mails recorded together, mail states read by key, notes dropped together."""
from __future__ import annotations

from dataclasses import replace

from core.model import MailState
from tests.contract.conftest import address, mail


async def test_a_batch_sets_its_flags_and_records_its_mails_reporting_which_were_new(store):
    await store.record_mail(mail("k-known", subject="first"))

    new = await store.record_mails([mail("k1"), mail("k-known", subject="again"), mail("k2", to="aws+x@example.com")],
                                   {"graph-move:mb:1": '{"keys": ["k1"]}', "graph-move:mb:2": '{"keys": ["k2"]}'})

    assert new == [True, False, True]
    assert await store.get_mail("k1") == mail("k1") and await store.get_mail("k2") == mail("k2", to="aws+x@example.com")
    assert (await store.get_mail("k-known")).subject == "first"  # a known key is left as it was
    assert await store.flags_with_prefix("graph-move:", 10) == [("graph-move:mb:1", '{"keys": ["k1"]}'),
                                                                ("graph-move:mb:2", '{"keys": ["k2"]}')]
    assert await store.count_mails() == 3


async def test_a_batch_replaces_a_flag_as_set_flag_does_and_may_carry_only_flags_or_only_mails(store):
    await store.set_flag("graph-move:mb:1", "old")

    assert await store.record_mails([], {"graph-move:mb:1": "new"}) == []
    assert await store.record_mails([mail("k1")]) == [True]
    assert await store.get_flag("graph-move:mb:1") == "new"
    assert await store.get_mail("k1") == mail("k1")


async def test_empty_batches_change_nothing(store):
    await store.set_flag("keep", "1")

    assert await store.record_mails([]) == [] and await store.record_mails([], {}) == []
    assert await store.mail_states([]) == {}
    await store.delete_flags([])
    assert await store.count_mails() == 0 and await store.get_flag("keep") == "1"


async def test_mail_states_are_read_by_key_leaving_out_unknown_keys(store):
    await store.record_mails([mail("k1"), mail("k2", state=MailState.FORWARDED, to="aws+x@example.com")])

    assert await store.mail_states(["k2", "k-unknown", "k1", "k2"]) == {"k1": MailState.RECEIVED,
                                                                      "k2": MailState.FORWARDED}
    assert await store.mail_states(["k-unknown"]) == {}


async def test_many_mail_states_are_read_in_one_call(store):
    keys = [f"k/{n:03d} #?" for n in range(250)]  # more than one query's worth, with characters ids escape
    await store.record_mails([mail(k) for k in keys])

    await store.update_mail(replace(await store.get_mail("k/007 #?"), state=MailState.QUARANTINED))

    found = await store.mail_states(keys + ["k-unknown"])

    assert sorted(found) == sorted(keys) and found["k/007 #?"] is MailState.QUARANTINED
    assert set(found.values()) == {MailState.RECEIVED, MailState.QUARANTINED}


async def test_flags_are_deleted_together_unknown_names_and_other_flags_untouched(store):
    for name in ("graph-move:mb:1", "graph-move:mb:2", "graph-move:mb:3"):
        await store.set_flag(name, "note")

    await store.delete_flags(["graph-move:mb:1", "graph-move:mb:3", "graph-move:mb:unknown", "graph-move:mb:1"])

    assert await store.flags_with_prefix("graph-move:", 10) == [("graph-move:mb:2", "note")]


async def test_addresses_are_read_together_by_their_lower_case_form_leaving_out_unknown_ones(store):
    await store.create_address(address("aws+billing@example.com"))
    await store.create_address(address("aws+logs@example.com", account_name="Logs"))

    found = await store.get_addresses([" AWS+Billing@example.com", "aws+logs@example.com", "ceo@example.com",
                                       "aws+billing@example.com"])

    assert found == {"aws+billing@example.com": await store.get_address("aws+billing@example.com"),
                     "aws+logs@example.com": await store.get_address("aws+logs@example.com")}
    assert await store.get_addresses([]) == {} and await store.get_addresses(["ceo@example.com"]) == {}
