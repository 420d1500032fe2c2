"""The protection settings: safe defaults, every problem named, a bad secret key never echoed."""
from __future__ import annotations

import base64

import pytest

from core.intake.sender_trust import DEFAULT_AWS_DOMAINS
from settings import SettingsError, load_settings


def test_defaults_trust_only_the_demo_boundary_and_wipe_after_fifteen_minutes():
    settings = load_settings({})
    assert settings.authserv_ids == ("rootmail.localhost",) and settings.aws_sender_domains == DEFAULT_AWS_DOMAINS
    assert settings.reveal_minutes == 15 and settings.secret_key == "" and settings.allowed_tenants == ()
    assert settings.admins == () and settings.groups_file is None


def test_ids_are_lists_without_blanks_or_repeats_and_compared_lower_case():
    settings = load_settings({"ROOTMAIL_ADMINS": " AAD-1, aad-1 ,,aad-2", "ROOTMAIL_ALLOWED_TENANTS": "T1"})
    assert settings.admins == ("aad-1", "aad-2") and settings.allowed_tenants == ("t1",)


def test_a_bad_secret_key_is_refused_without_showing_it():
    with pytest.raises(SettingsError) as error:
        load_settings({"ROOTMAIL_SECRET_KEY": "s3cr3t-but-short"})
    assert "ROOTMAIL_SECRET_KEY=(secret)" in str(error.value) and "s3cr3t" not in str(error.value)
    key = base64.b64encode(bytes(range(32))).decode()
    assert load_settings({"ROOTMAIL_SECRET_KEY": f"{key}, {key}"}).secret_key == f"{key}, {key}"
    assert key not in repr(load_settings({"ROOTMAIL_SECRET_KEY": key}))


def test_groups_need_their_file_and_an_exposed_inbox_needs_its_own_boundary_id(tmp_path):
    with pytest.raises(SettingsError) as error:
        load_settings({"ROOTMAIL_ADMIN_GROUP": "g", "ROOTMAIL_SMTP_HOST": "0.0.0.0",
                       "ROOTMAIL_SMTP_DOMAINS": "example.com", "ROOTMAIL_AWS_SENDER_DOMAINS": " , ",
                       "ROOTMAIL_REVEAL_MINUTES": "0"})
    problems = "\n".join(error.value.problems)
    assert "ROOTMAIL_REVEAL_MINUTES" in problems
    with pytest.raises(SettingsError) as error:
        load_settings({"ROOTMAIL_ADMIN_GROUP": "g", "ROOTMAIL_SMTP_HOST": "0.0.0.0",
                       "ROOTMAIL_SMTP_DOMAINS": "example.com", "ROOTMAIL_AWS_SENDER_DOMAINS": " , ",
                       "ROOTMAIL_GROUPS_FILE": str(tmp_path / "missing.json")})
    problems = "\n".join(error.value.problems)
    for name in ("ROOTMAIL_AUTHSERV_IDS", "ROOTMAIL_GROUPS_FILE", "ROOTMAIL_AWS_SENDER_DOMAINS",
                 "ROOTMAIL_SMTP_CLIENTS"):  # the inbox beyond loopback must know its boundary (mail.smtp_trust)
        assert name in problems
    assert len(error.value.problems) == 4
    assert load_settings({"ROOTMAIL_SMTP_HOST": "0.0.0.0", "ROOTMAIL_SMTP_DOMAINS": "example.com",
                          "ROOTMAIL_AUTHSERV_IDS": "mx.example.com", "ROOTMAIL_SMTP_CLIENTS": "10.0.0.0/24"}
                         ).authserv_ids == ("mx.example.com",)
