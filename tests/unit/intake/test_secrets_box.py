"""Codes and links at rest: AES-256-GCM, bound to their mail, openable after a key rotation, never by a wrong key."""
from __future__ import annotations

import os
import stat

import pytest

from core.intake.secrets_box import SecretUnreadable
from crypto.box import AesGcmBox, KeyFormatError, load_or_create_key, new_key_text, parse_keys

OLD, NEW = bytes(range(32)), bytes(range(1, 33))


def test_a_sealed_secret_opens_again_and_does_not_show_the_secret():
    box = AesGcmBox([NEW])
    sealed = box.seal("482913", "rootmail-mail:k1")
    assert "482913" not in sealed and sealed.startswith("v1.")
    assert box.open(sealed, "rootmail-mail:k1") == "482913"
    assert box.seal("482913", "rootmail-mail:k1") != sealed  # a fresh nonce every time


def test_a_secret_sealed_for_one_mail_does_not_open_for_another():
    box = AesGcmBox([NEW])
    with pytest.raises(SecretUnreadable):
        box.open(box.seal("482913", "rootmail-mail:k1"), "rootmail-mail:k2")


@pytest.mark.parametrize("tamper", [lambda s: s[:-2] + ("AA" if s[-2:] != "AA" else "BB"), lambda s: s + "x",
                                    lambda s: "v2" + s[2:], lambda s: s.replace(".", "", 1), lambda s: ""])
def test_a_changed_sealed_value_is_refused(tamper):
    box = AesGcmBox([NEW])
    with pytest.raises(SecretUnreadable):
        box.open(tamper(box.seal("482913", "c")), "c")


def test_rotation_seals_with_the_first_key_and_opens_with_any():
    sealed_before = AesGcmBox([OLD]).seal("A7K2QZ", "c")
    rotated = AesGcmBox([NEW, OLD])
    assert rotated.open(sealed_before, "c") == "A7K2QZ"
    assert AesGcmBox([NEW]).open(rotated.seal("A7K2QZ", "c"), "c") == "A7K2QZ"
    with pytest.raises(SecretUnreadable, match="key RootMail no longer has"):
        AesGcmBox([NEW]).open(sealed_before, "c")


def test_keys_are_base64_of_32_bytes_in_either_alphabet():
    text = new_key_text()
    assert parse_keys(f" {text} , {text}") == [parse_keys(text)[0]] * 2
    assert len(parse_keys("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")[0]) == 32
    for bad in ("abc", "not base64 at all!", "AAAA"):
        with pytest.raises(KeyFormatError):
            parse_keys(bad)


def test_the_embedded_key_file_is_created_once_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "var" / "secret.key"
    first = load_or_create_key(path)
    assert load_or_create_key(path) == first and len(first[0]) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
