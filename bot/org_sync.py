"""The `sync` admin command: reconcile with AWS Organizations now and answer with the drift card."""
from __future__ import annotations

import cards
from bot.services import Services
from bot.turn import Turn
from cards.drift import drift_card
from core.adoption.reconcile import SyncFailed


async def sync(services: Services, turn: Turn) -> dict:
    # Admins only (core.addresses.access): RootMail admins anywhere, anyone in the admin conversation.
    if not await services.access.acts_as_admin(turn.person, turn.owner):
        return cards.error_card("Only admins can run sync",
                                "Ask a RootMail admin, or run sync in RootMail's admin conversation.")
    if services.org_sync is None:
        return cards.error_card("Sync with AWS Organizations is not set up",
                                "An admin sets ROOTMAIL_ORG_ROLE_ARN to a read-only role in the management account.")
    try:
        return drift_card(await services.org_sync())
    except SyncFailed as failed:
        return cards.error_card("Sync with AWS Organizations failed", str(failed))
