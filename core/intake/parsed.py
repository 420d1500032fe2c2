"""A received message as RootMail needs it, whatever the source: what the edges build and the pipeline reads."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ParsedMail:
    """A message as RootMail needs it, whatever the source (SMTP, Graph)."""

    message_id: str
    sender: str
    subject: str
    date: datetime | None
    text: str
    size: int
    headers: dict[str, list[str]] = field(default_factory=dict)
    defects: tuple[str, ...] = ()
    links: tuple[str, ...] = ()  # link targets the text does not show (HTML hrefs), for reset-link extraction
