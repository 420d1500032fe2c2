"""A core.ports.Poster that posts nothing and keeps what it was asked to post, for tests of core without Teams."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from core.model import Owner


class Post(NamedTuple):
    conversation_id: str
    card: dict[str, Any]
    summary: str
    urgent: bool = False


@dataclass
class RecordingPoster:
    posted: list[Post] = field(default_factory=list)

    async def post(self, owner: Owner, card: dict[str, Any], summary: str, urgent: bool = False) -> str:
        self.posted.append(Post(owner.conversation_id, card, summary, urgent))
        return f"activity-{len(self.posted)}"

    def cards(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        return [p.card for p in self.posted if conversation_id in (None, p.conversation_id)]

    def summaries(self) -> list[tuple[str, str]]:
        return [(p.conversation_id, p.summary) for p in self.posted]
