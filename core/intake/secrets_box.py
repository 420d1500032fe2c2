"""Sealing codes and reset links at rest: the protocol core uses; the cipher lives at the edge (crypto/)."""
from __future__ import annotations

from typing import Protocol

from core.errors import RootMailError


class SecretUnreadable(RootMailError):
    """A sealed secret cannot be opened: wrong or rotated-out key, or a tampered value."""


class SecretBox(Protocol):
    def seal(self, secret: str, context: str) -> str:
        """An opaque, authenticated, encrypted text of `secret`, bound to `context` (the mail it belongs to)."""

    def open(self, sealed: str, context: str) -> str:
        """The secret again; raises SecretUnreadable if it was not sealed with one of our keys for `context`."""
