"""What command handlers need, handed in by the composition root."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from core.addresses.access import Access
from core.addresses.allocation import Allocator
from core.ports import Clock, Poster, Store
from core.intake.reveal import Revealer
from core.addresses.rules import ENVIRONMENTS


@dataclass
class Services:
    store: Store
    clock: Clock
    allocator: Allocator
    new_request_id: Callable[[], str]
    admin_conversation: str | None = None
    page_size: int = 10
    environments: tuple[str, ...] = ENVIRONMENTS
    access: Access = field(default_factory=Access)  # who may do what (core.addresses.access)
    revealer: Revealer | None = None  # Reveal of sealed codes and links; None: not set up
    poster: Poster | None = None  # proactive cards (transfer requests to the owning channel)
    status: Callable[[], Awaitable[Any]] | None = None  # the admin status (core.delivery.status.Status); None: not set up
    adoption: Any = None  # core.adoption.adopter.Adopter: `adopt` moves accounts' root e-mail in; None: not set up
    org_sync: Callable[[], Awaitable[Any]] | None = None  # runs a sync with AWS Organizations, returns the Drift
    sync_pool: Callable[[], object] | None = None  # re-reads the aliases from Exchange; returns problems by mailbox
    # The Teams edge's own helpers, set by wiring/protection.py (None in a bare set-up: cards are then sent as built)
    views: Any = None  # bot.views.Views: cards rendered again for everyone or one person (refresh)
    updates: Any = None  # bot.updates.CardUpdates: remembers posted cards and keeps them current
    people: Any = None  # bot.people.People: names of people, who acted where
    audience: Any = None  # bot.audience.Audience: refresh userIds and urgent mentions

    def is_admin_conversation(self, conversation_id: str) -> bool:
        return bool(self.admin_conversation) and conversation_id == self.admin_conversation
