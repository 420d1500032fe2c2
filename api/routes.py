"""The /api/v1 routes: a sub-application whose handlers call core and answer JSON or problem+json."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from typing import Awaitable, Callable

from aiohttp import web

from api import problems
from api.auth import READ, READ_WRITE, TRANSFER, Caller, KeysUnavailable, TokenRejected, TokenValidator
from api.openapi import document
from api.problems import Problem
from api.resources import (ALLOCATE_FIELDS, PATCH_FIELDS, address_json, address_url, json_object, page_query)
from api.versions import etag, if_match, not_modified
from core.addresses import registry
from core.addresses.allocation import Allocator, request_key
from core.errors import (AccountIdTaken, AlreadyLinked, Conflict, InvalidRequest, NotFound, PoolExhausted,
                         PreconditionFailed, StoreUnavailable)
from core.model import Owner, RootAddress
from core.ports import Clock, Store
from core.addresses.rules import ENVIRONMENTS, account_id_problem, parse_new_address_request
from core.addresses.tags import checked_tags

logger = logging.getLogger(__name__)

OwnerChanged = Callable[[RootAddress, RootAddress, str], Awaitable[None]]  # (before, after, who): tell both owners


@dataclass
class ApiServices:
    store: Store
    clock: Clock
    allocator: Allocator
    validator: TokenValidator | None  # None: the API is not configured and answers 503
    environments: tuple[str, ...] = ENVIRONMENTS
    on_transfer: OwnerChanged | None = None  # tells the old and the new owner (cards in both channels)


API = web.AppKey("api", ApiServices)
Handler = Callable[[web.Request, ApiServices, Caller], Awaitable[web.StreamResponse]]
routes = web.RouteTableDef()
_KEY_CHARS = range(0x21, 0x7F)


def api_app() -> web.Application:
    """Mount with `app.add_subapp("/api/v1", api_app())`; the parent app holds `API`."""
    app = web.Application(middlewares=[_problems])
    app.add_routes(routes)
    return app


def requires(role: str) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    def wrap(handler: Handler):
        async def guarded(request: web.Request) -> web.StreamResponse:
            services = request.config_dict[API]
            if services.validator is None:
                raise Problem("unavailable", "The automation API is not configured: set ROOTMAIL_API_AUDIENCE "
                              "and ROOTMAIL_API_TENANT_ID.")
            try:
                caller = await services.validator.caller(request.headers.get("Authorization"))
            except TokenRejected as rejected:
                raise Problem("invalid-token", str(rejected), headers={
                    "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{_quoted(rejected)}"'})
            except KeysUnavailable as unavailable:
                raise Problem("unavailable", str(unavailable), headers={"Retry-After": "60"})
            if not caller.holds(role):
                held = ", ".join(sorted(caller.roles)) or "none"
                raise Problem("missing-role", f"This call needs the app role {role}; the token holds: {held}.",
                              headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
            return await handler(request, services, caller)
        return guarded
    return wrap


def _quoted(reason: object) -> str:
    return "".join(c for c in str(reason) if 0x20 <= ord(c) < 0x7F and c not in '"\\')


def _actor(caller: Caller) -> str:
    return caller.person.aad_object_id or caller.person.id


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())


routes.get("/problems/{slug}")(problems.describe)


@routes.post("/addresses")
@requires(READ_WRITE)
async def allocate(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    body = await json_object(request, ALLOCATE_FIELDS)
    key = _idempotency_key(request)
    request_id = request_key("api", _actor(caller), key) if key else "api:" + uuid.uuid4().hex
    values = {name: body.get(name) for name in ("account_name", "environment", "purpose", "account_id")}
    new = parse_new_address_request(values | {"request_id": request_id}, services.environments)
    new = replace(new, tags=checked_tags(body.get("tags", {})))
    owner = await _known_owner(services.store, body.get("owner_conversation_id"))
    allocation = await services.allocator.allocate(new, owner, caller.person)
    record = allocation.record
    if not allocation.created and not _same_request(record, new, owner):
        raise Problem("idempotency-key-reused", f"Idempotency-Key {key!r} already allocated {record.address} for "
                      "a different request. Use a new key for a new allocation.", address=record.address)
    headers = {"Location": address_url(record.address)}
    if not allocation.created:
        headers["Idempotent-Replayed"] = "true"
    return _address(record, 201 if allocation.created else 200, headers)


def _address(record: RootAddress, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """One address as a resource: its JSON and its ETag."""
    return web.json_response(address_json(record), status=status, headers={**(headers or {}), "ETag": etag(record)})


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or any(ord(c) not in _KEY_CHARS for c in key):
        raise InvalidRequest({"Idempotency-Key": "1-255 visible ASCII characters, such as a UUID."})
    return key


def _same_request(record: RootAddress, new, owner: Owner) -> bool:
    return (record.account_name, record.environment, record.purpose, record.owner.conversation_id, record.tags) == (
        new.account_name, new.environment, new.purpose, owner.conversation_id, new.tags) and (
        new.account_id in (None, record.account_id))


async def _known_owner(store: Store, conversation_id: object) -> Owner:
    if not isinstance(conversation_id, str) or not conversation_id.strip():
        raise InvalidRequest({"owner_conversation_id": "Give the id of the Teams conversation that will own it."})
    owner = await store.get_conversation(conversation_id.strip())
    if owner is None:
        raise Problem("unknown-conversation", f"RootMail has never been in conversation {conversation_id[:200]!r}, "
                      "so it could not post that team's mail there. Install RootMail in that team (or add it to "
                      "the chat) and @mention it there once, then retry with the same conversation id.")
    return owner


@routes.get("/addresses")
@requires(READ)
async def list_addresses(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    limit, continuation = page_query(request)
    requester = request.query.get("requester")
    page = await services.store.list_addresses(limit, continuation, requester=requester)
    return web.json_response({"items": [address_json(r) for r in page.items], "continuation": page.continuation})


@routes.get("/addresses/{address}")
@requires(READ)
async def get_address(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    record = await registry.require(services.store, request.match_info["address"])
    if not_modified(request, record):
        return web.Response(status=304, headers={"ETag": etag(record)})
    return _address(record)


@routes.get("/accounts/{account_id}")
@requires(READ)
async def get_by_account(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    account_id = request.match_info["account_id"]
    if problem := account_id_problem(account_id):
        raise InvalidRequest({"account_id": f"An AWS account id {problem}."})
    record = await services.store.get_by_account_id(account_id)
    if record is None:
        raise NotFound(f"No RootMail address is linked to AWS account {account_id}.")
    return _address(record)


@routes.patch("/addresses/{address}")
@requires(READ_WRITE)
async def amend(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    body = await json_object(request, PATCH_FIELDS, patch=True)
    owner = await _known_owner(services.store, body["owner_conversation_id"]) if "owner_conversation_id" in body \
        else None
    precondition, before = if_match(request), None
    if owner is not None:
        before = await registry.require(services.store, request.match_info["address"])
        if before.owner.conversation_id != owner.conversation_id and not caller.holds(TRANSFER):
            raise Problem("missing-role", f"Changing the owner of an address needs the app role {TRANSFER} as well; "
                          "an admin assigns it to the callers that may move addresses between channels.",
                          headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
        if not caller.holds(TRANSFER):  # naming the current owner is no change, as long as it still is the owner
            precondition = _also(precondition, lambda record: record.owner.conversation_id == owner.conversation_id)
    amendment = registry.Amendment(account_id=body.get("account_id"), owner=owner, tags=body.get("tags"))
    record = await registry.amend(services.store, services.clock, request.match_info["address"], amendment,
                                  _actor(caller), precondition, by=_name(caller))
    if before is not None and record.owner.conversation_id != before.owner.conversation_id and services.on_transfer:
        await services.on_transfer(before, record, _name(caller))
    return _address(record)


def _also(first: registry.Precondition | None, second: registry.Precondition) -> registry.Precondition:
    return second if first is None else lambda record: first(record) and second(record)


def _name(caller: Caller) -> str:
    return caller.name or (f"app {caller.app_id}" if caller.is_app and caller.app_id else caller.object_id)


@routes.post("/addresses/{address}/retire")
@requires(READ_WRITE)
async def retire(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    record = await registry.retire(services.store, services.clock, request.match_info["address"], _actor(caller),
                                   if_match(request))
    return _address(record)


_CORE_ERRORS: list[tuple[type[Exception], str]] = [
    (AlreadyLinked, "already-linked"), (AccountIdTaken, "account-id-taken"), (Conflict, "concurrent-update"),
    (NotFound, "not-found"), (PoolExhausted, "pool-exhausted"), (PreconditionFailed, "precondition-failed"),
]


@web.middleware
async def _problems(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        return problems.response(problem, request.path)
    except InvalidRequest as invalid:
        return problems.response(Problem("invalid-request", str(invalid), errors=invalid.fields), request.path)
    except StoreUnavailable:
        logger.exception("store unavailable during an API call")
        return problems.response(Problem("unavailable", "RootMail cannot reach its store; nothing was changed.",
                                         headers={"Retry-After": "30"}), request.path)
    except tuple(kind for kind, _ in _CORE_ERRORS) as error:
        slug = next(slug for kind, slug in _CORE_ERRORS if isinstance(error, kind))
        return problems.response(Problem(slug, str(error)), request.path)
    except web.HTTPRequestEntityTooLarge:
        return problems.response(Problem("too-large", "The body is larger than RootMail accepts (1 MiB)."),
                                 request.path)
    except web.HTTPNotFound:
        return problems.response(Problem("not-found", f"There is no API resource at {request.path[:300]}."),
                                 request.path)
    except web.HTTPMethodNotAllowed as not_allowed:
        allow = ", ".join(sorted(not_allowed.allowed_methods))
        return problems.response(Problem("method-not-allowed", f"{request.method} is not allowed here; use {allow}.",
                                         headers={"Allow": allow}), request.path)
    except web.HTTPException:
        raise
    except Exception:
        reference = uuid.uuid4().hex[:8]
        logger.exception("API call failed", extra={"error_ref": reference, "path": request.path})
        return problems.response(Problem("internal-error", "The call failed on RootMail's side.",
                                         reference=reference), request.path)
