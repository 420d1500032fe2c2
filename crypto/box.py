"""AES-256-GCM behind core.intake.secrets_box.SecretBox, with key rotation: seal with the first key, open with any."""
from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.intake.secrets_box import SecretUnreadable

logger = logging.getLogger(__name__)

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12


class KeyFormatError(ValueError):
    """A configured key is not 32 bytes of base64."""


class KeyFileExposed(Exception):
    """The key file can be read by other users of the machine; RootMail refuses to start with it."""


def parse_keys(text: str) -> list[bytes]:
    """Comma-separated base64 (standard or URL-safe) 32-byte keys; the first seals, all open."""
    keys = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            key = base64.urlsafe_b64decode(part.replace("+", "-").replace("/", "_") + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            raise KeyFormatError("must be base64") from None
        if len(key) != KEY_BYTES:
            raise KeyFormatError(f"each key must be {KEY_BYTES} bytes (base64 of {KEY_BYTES} random bytes)")
        keys.append(key)
    return keys


def new_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip("=")


def load_or_create_key(path: Path) -> list[bytes]:
    """The embedded default: a key file under var/, created (owner-only) on first start. An existing file that
    group or others may read is refused, not quietly fixed: whoever read it can open every sealed code in the
    store, so the key must be replaced, which only the operator can decide (KeyFileExposed says how)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyFileExposed(
                f"{path} can be read by other users (mode {mode:03o}), so the key sealing codes may be known. "
                f"Replace it: move the file away and start RootMail again (a new key is made; codes sealed with the "
                f"old one can no longer be revealed), or, if nobody else can have read it, run chmod 600 {path}."
            ) from None
        return parse_keys(path.read_text(encoding="ascii"))
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(new_key_text() + "\n")
    logger.info("created a secret key for sealed codes", extra={"path": str(path)})
    return parse_keys(path.read_text(encoding="ascii"))


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"rootmail-key-id" + key).hexdigest()[:8]


class AesGcmBox:
    """`v1.<key id>.<base64url(nonce | ciphertext | tag)>`; the context is authenticated, not stored."""

    def __init__(self, keys: list[bytes]):
        if not keys:
            raise ValueError("AesGcmBox needs at least one key")
        self._keys = {key_id(k): AESGCM(k) for k in keys}
        self._sealing = key_id(keys[0])

    @property
    def sealing_key_id(self) -> str:
        """The id (not the key) of the key new secrets are sealed with: what instances compare."""
        return self._sealing

    def seal(self, secret: str, context: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._keys[self._sealing].encrypt(nonce, secret.encode(), context.encode())
        blob = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{VERSION}.{self._sealing}.{blob}"

    def open(self, sealed: str, context: str) -> str:
        version, _, rest = sealed.partition(".")
        kid, _, blob = rest.partition(".")
        cipher = self._keys.get(kid)
        if version != VERSION or cipher is None:
            raise SecretUnreadable("The code was sealed with a key RootMail no longer has.")
        try:
            raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
            raise SecretUnreadable("The sealed code does not open: it was changed or belongs to another mail.") from None
