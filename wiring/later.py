"""A part that opens in the background after the app serves: its key is set at start-up (aiohttp freezes the app's
state once it runs), and attribute access reaches the part once it is open."""
from __future__ import annotations

from typing import Any

from core.errors import MailSourceUnavailable


class Later:
    def __init__(self, label: str):
        self.label = label
        self.part: Any = None

    def attach(self, part: Any) -> None:
        self.part = part

    @property
    def ready(self) -> bool:
        return self.part is not None

    def __getattr__(self, name: str) -> Any:
        part = self.__dict__.get("part")
        if part is None:
            raise MailSourceUnavailable(f"{self.__dict__.get('label', 'it')} is still starting")
        return getattr(part, name)
