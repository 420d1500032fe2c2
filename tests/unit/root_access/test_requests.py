"""A root-task request is checked field by field before anyone is asked to approve it."""
from __future__ import annotations

import pytest

from core.errors import InvalidRequest
from core.root_access.model import CREDENTIAL_KINDS, TaskKind
from core.root_access.requests import draft

ACCOUNT = "222222222222"


def test_delete_credentials_defaults_to_every_kind_and_takes_a_subset():
    assert draft(ACCOUNT, "delete-credentials").credentials == CREDENTIAL_KINDS
    assert draft(ACCOUNT, "Delete-Credentials", credentials=["mfa", "password"]).credentials == ("password", "mfa")
    with pytest.raises(InvalidRequest) as invalid:
        draft(ACCOUNT, "delete-credentials", credentials=["root-keys"])
    assert "credentials" in invalid.value.fields


def test_recovery_has_a_bounded_window_and_says_whether_credentials_go_again():
    wanted = draft("2222-2222-2222", "allow-recovery", window_minutes=30, remove_after=True)
    assert (wanted.account_id, wanted.kind, wanted.window_minutes, wanted.remove_after) == (
        ACCOUNT, TaskKind.ALLOW_RECOVERY, 30, True)
    assert draft(ACCOUNT, "allow-recovery", default_window=45).window_minutes == 45
    for minutes in (4, 1441):
        with pytest.raises(InvalidRequest) as invalid:
            draft(ACCOUNT, "allow-recovery", window_minutes=minutes)
        assert "minutes" in invalid.value.fields


@pytest.mark.parametrize("bucket", ["", "ab", "Bad_Bucket", "-starts-with-dash", "a..b", "192.168.1.1", "x" * 64])
def test_bucket_names_s3_refuses_are_refused(bucket):
    with pytest.raises(InvalidRequest) as invalid:
        draft(ACCOUNT, "unlock-bucket", target=bucket)
    assert "bucket" in invalid.value.fields


def test_a_queue_is_named_or_given_by_url_of_the_same_account():
    assert draft(ACCOUNT, "unlock-queue", target="events.fifo", region="eu-west-1").target == \
        f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/events.fifo"
    url = f"https://sqs.us-east-2.amazonaws.com/{ACCOUNT}/orders"
    assert draft(ACCOUNT, "unlock-queue", target=url).target == url
    for given in ("", "has space", "https://sqs.us-east-2.amazonaws.com/333333333333/orders", "x" * 81):
        with pytest.raises(InvalidRequest) as invalid:
            draft(ACCOUNT, "unlock-queue", target=given)
        assert "queue" in invalid.value.fields


def test_every_wrong_field_is_named_at_once_and_an_unknown_task_is_refused():
    with pytest.raises(InvalidRequest) as invalid:
        draft("12345", "reboot")
    assert set(invalid.value.fields) == {"account_id", "task"}
    with pytest.raises(InvalidRequest) as invalid:
        draft("12345", "unlock-bucket", target="Bad")
    assert set(invalid.value.fields) == {"account_id", "bucket"}
