"""The automation API (/api/v1): its services and, when audiences are configured, Entra ID token validation."""
from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator

from aiohttp import web

import cards
from api.auth import ENTRA_METADATA, Jwks, TokenValidator, v1_metadata_url
from api.routes import API, ApiServices, OwnerChanged
from cards.address import owner_name
from core.model import RootAddress
from core.ports import Clock, PostFailed
from wiring.keys import HTTP, POSTER, SERVICES, SETTINGS, STORE

logger = logging.getLogger(__name__)


def api_ctx(clock: Clock):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, services = app[SETTINGS], app[SERVICES]
        validator = None
        if settings.api_audiences:
            tenant = settings.api_tenant_id or settings.app_tenant_id
            metadata = settings.api_metadata_url or ENTRA_METADATA.format(tenant=tenant)
            validator = TokenValidator(Jwks(app[HTTP], metadata, tenant), settings.api_audiences, tenant,
                                       v1=Jwks(app[HTTP], v1_metadata_url(metadata), tenant))
        app[API] = ApiServices(app[STORE], clock, services.allocator, validator, services.environments,
                               _tell_both_owners(app))
        yield
    return ctx


def _tell_both_owners(app: web.Application) -> OwnerChanged:
    """An address moved by the API: the channel it left and the channel it joined each get a card saying so (the
    old owner can no longer read its audit, so the card is its record)."""
    async def tell(before: RootAddress, after: RootAddress, by: str) -> None:
        old, new = owner_name(before.owner), owner_name(after.owner)
        facts = [("Address", after.address), ("From", old), ("To", new), ("Moved by", by)]
        notices = [
            (before.owner, cards.notice_card(
                "Address moved to another channel", f"{by} moved {after.address} to {new} through RootMail's "
                "automation API. Its mail and codes go there from now on; ask a RootMail admin if this is wrong.",
                facts, "warning"), f"{after.address} moved away"),
            (after.owner, cards.notice_card(
                "Address moved here", f"{by} moved {after.address} here from {old} through RootMail's automation "
                "API. Its mail and codes come here from now on.", facts, "good"), f"{after.address} moved here")]
        results = await asyncio.gather(*(app[POSTER].post(where, card, summary) for where, card, summary in notices),
                                       return_exceptions=True)
        for failure in (r for r in results if isinstance(r, PostFailed)):
            logger.warning("could not tell a channel about a transfer", extra={"reason": failure.reason})
        for error in (r for r in results if isinstance(r, Exception) and not isinstance(r, PostFailed)):
            logger.error("telling a channel about a transfer failed", exc_info=error)
    return tell
