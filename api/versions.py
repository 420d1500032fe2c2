"""Entity tags for address resources (RFC 9110): an ETag on every response that carries one address, If-Match on
changes so a pipeline never overwrites a change it has not seen, If-None-Match on reads."""
from __future__ import annotations

import hashlib
import re

from aiohttp import web

from core.errors import InvalidRequest
from core.model import RootAddress
from core.addresses.registry import Precondition

_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e]*)"\s*(?:,|$)')


def etag(record: RootAddress) -> str:
    """Opaque and strong; it changes with every write. The store's own version is hashed with the address, so a
    tag taken from one address never matches another (SQLite versions are small counters)."""
    digest = hashlib.sha256(f"{record.address}\0{record.etag}".encode()).hexdigest()[:24]
    return f'"{digest}"'


def _tags(header: str) -> list[tuple[bool, str]] | None:
    """(weak, quoted tag) pairs, or None if the header is not a list of entity tags."""
    tags, at = [], 0
    while at < len(header):
        match = _ENTITY_TAG.match(header, at)
        if not match:
            return None
        tags.append((bool(match.group(1)), f'"{match.group(2)}"'))
        at = match.end()
    return tags or None


def if_match(request: web.Request) -> Precondition | None:
    """The change applies only to the version the caller names (strong comparison); `*`: to any version."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    tags = _tags(header)
    if tags is None:
        raise InvalidRequest({"If-Match": 'Entity tags as the ETag header gives them, such as "3f2a...", or *.'})
    strong = {tag for weak, tag in tags if not weak}  # a weak tag never matches for a change
    return lambda record: etag(record) in strong


def not_modified(request: web.Request, record: RootAddress) -> bool:
    """If-None-Match (weak comparison): the caller already has this version."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return etag(record) in {tag for _, tag in _tags(header) or []}
