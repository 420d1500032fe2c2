"""The automation API (/api/v1): its services and, when audiences are configured, Entra ID token validation."""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from api.auth import ENTRA_METADATA, Jwks, TokenValidator, v1_metadata_url
from api.routes import API, ApiServices
from core.ports import Clock
from wiring.keys import HTTP, SERVICES, SETTINGS, STORE


def api_ctx(clock: Clock):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, services = app[SETTINGS], app[SERVICES]
        validator = None
        if settings.api_audiences:
            tenant = settings.api_tenant_id or settings.app_tenant_id
            metadata = settings.api_metadata_url or ENTRA_METADATA.format(tenant=tenant)
            validator = TokenValidator(Jwks(app[HTTP], metadata, tenant), settings.api_audiences, tenant,
                                       v1=Jwks(app[HTTP], v1_metadata_url(metadata), tenant))
        app[API] = ApiServices(app[STORE], clock, services.allocator, validator, services.environments)
        yield
    return ctx
