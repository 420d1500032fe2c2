"""What command handlers need, handed in by the composition root."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from core.addresses.access import Access
from core.addresses.allocation import Allocator
from core.addresses.limits import Limiter
from core.ports import Clock, Poster, Store
from core.readiness import Readiness
from core.intake.reveal import Revealer
from core.addresses.rules import ENVIRONMENTS
from core.model import Owner


@dataclass
class Services:
    store: Store
    clock: Clock
    allocator: Allocator
    new_request_id: Callable[[], str]
    admin_conversation: str | None = None  # where admin notices go
    page_size: int = 10
    environments: tuple[str, ...] = ENVIRONMENTS
    access: Access = field(default_factory=Access)  # who may do what (core.addresses.access)
    revealer: Revealer | None = None  # Reveal of sealed codes and links; None: not set up
    poster: Poster | None = None  # proactive cards (transfer requests to the owning channel)
    status: Callable[[], Awaitable[Any]] | None = None  # the admin status (core.delivery.status.Status); None: not set up
    adoption: Any = None  # core.adoption.adopter.Adopter: `adopt` moves accounts' root e-mail in; None: not set up
    org_sync: Callable[[], Awaitable[Any]] | None = None  # runs a sync with AWS Organizations, returns the Drift
    sync_pool: Callable[[], object] | None = None  # re-reads the aliases from Exchange; returns problems by mailbox
    root: Any = None  # bot.root_notices.RootServices: root status and root tasks; None: not set up
    readiness: Readiness | None = None  # how the store, the mail source and AWS are doing (core.readiness)
    part_state: Callable[[str], Awaitable[Any]] | None = None  # a part's PartState now (wiring.health)
    exchange: bool = False  # the mail source is Exchange Online (Microsoft Graph): `pool` reads it
    limiter: Limiter | None = None  # per-person and per-conversation allocation limits; None: no limits
    # The Teams edge's own helpers, set by wiring/protection.py (None in a bare set-up: cards are then sent as built)
    views: Any = None  # bot.views.Views: cards rendered again for everyone or one person (refresh)
    updates: Any = None  # bot.updates.CardUpdates: remembers posted cards and keeps them current
    people: Any = None  # bot.people.People: names of people, who acted where
    audience: Any = None  # bot.audience.Audience: refresh userIds and urgent mentions

    def is_admin_conversation(self, conversation_id: str) -> bool:
        """Acting from the admin conversation counts as acting as an admin, when identities are verified."""
        return self.access.in_admin_conversation(Owner(conversation_id))
