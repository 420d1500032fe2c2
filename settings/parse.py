"""Parsers for setting values: each turns the text of one environment variable into a value or says what is wrong."""
from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def text(value: str) -> str:
    return value.strip()


def int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError("must be a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number
    return parse


def boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
        raise ValueError("must be true or false")
    return lowered in {"1", "true", "yes", "on"}


def one_of(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        lowered = value.strip().lower()
        match = next((c for c in choices if c.lower() == lowered), None)
        if match is None:
            raise ValueError("must be one of " + ", ".join(choices))
        return match
    return parse


def store_url(value: str) -> str:
    if value == "cosmos" or value.startswith("sqlite:///"):
        return value
    raise ValueError("must be sqlite:///PATH or cosmos")


def path(value: str) -> Path:
    given = Path(value).expanduser()
    return given if given.is_absolute() else ROOT / given


def domains(value: str) -> tuple[str, ...]:
    return tuple(d.strip().lower() for d in value.split(",") if d.strip())


def domains_keep_case(value: str) -> tuple[str, ...]:
    return tuple(d.strip() for d in value.split(",") if d.strip())


def role_arn(value: str) -> str:
    value = value.strip()
    if value and not re.fullmatch(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}", value):
        raise ValueError("must be an IAM role ARN such as arn:aws:iam::111122223333:role/RootMailOrgReader")
    return value


def networks(value: str) -> tuple[str, ...]:
    """Comma-separated IP networks (CIDR) or single addresses, normalised (10.1.2.3 -> 10.1.2.3/32)."""
    found = []
    for part in (p.strip() for p in value.split(",") if p.strip()):
        try:
            found.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP network such as 10.0.0.0/24 or an address") from None
    return tuple(found)


def ids(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i.strip().lower() for i in value.split(",") if i.strip()))


def tenant_id(value: str) -> str:
    """An Entra tenant id is the directory's GUID. A domain name would pass Entra's own endpoints (they resolve it)
    but never equal the GUID every token (`tid`, `iss`) and notification carries, so every one would be refused."""
    cleaned = value.strip()
    if cleaned and not GUID.fullmatch(cleaned):
        raise ValueError("must be the tenant's ID, a GUID such as 11111111-2222-3333-4444-555555555555 (Entra admin "
                         "center, Overview, Tenant ID), not a domain name: tokens carry the GUID in tid and iss")
    return cleaned.lower()


def secret_keys(value: str) -> str:
    """Kept as text (the app builds the cipher); each comma-separated key must be base64 of 32 bytes."""
    for key in (k.strip() for k in value.split(",") if k.strip()):
        try:
            raw = base64.urlsafe_b64decode(key.replace("+", "-").replace("/", "_") + "=" * (-len(key) % 4))
        except (binascii.Error, ValueError):
            raise ValueError("each key must be base64 (for example: python -c \"import secrets, base64; "
                             "print(base64.b64encode(secrets.token_bytes(32)).decode())\")") from None
        if len(raw) != 32:
            raise ValueError(f"each key must be 32 bytes, base64-encoded; one is {len(raw)} bytes")
    return value.strip()


GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def guid(what: str, why: str = "") -> Callable[[str], str]:
    """Empty, or a GUID (lower-cased); `what` tells the admin which id belongs there."""
    def parse(value: str) -> str:
        value = value.strip()
        if value and not GUID.fullmatch(value):
            raise ValueError(f"must be {what}, a GUID such as 11111111-2222-3333-4444-555555555555" +
                             (f"; {why}" if why else ""))
        return value.lower()
    return parse


def optional_path(value: str) -> Path | None:
    return path(value.strip()) if value.strip() else None


def url(value: str) -> str:
    """An https URL (plain http only to loopback, for tests and local fakes), without a trailing slash."""
    cleaned = value.strip().rstrip("/")
    if not cleaned:
        return ""
    parts = urlsplit(cleaned)
    if parts.scheme == "https" and parts.hostname or parts.scheme == "http" and is_loopback(parts.hostname or ""):
        return cleaned
    raise ValueError("must be an https:// URL (http:// only to loopback)")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def mention_targets(value: str) -> tuple[str, ...]:
    """owners, none, or entries `<team id>=<tag id>:<tag name>` (a team's tag instead of its owners), comma-separated."""
    items = tuple(dict.fromkeys(i.strip() for i in value.split(",") if i.strip()))
    for item in items:
        if item in ("owners", "none"):
            continue
        team, equals, tag = item.partition("=")
        tag_id, colon, name = tag.partition(":")
        if not (equals and colon and team.strip() and tag_id.strip() and name.strip()):
            raise ValueError("each entry must be owners, none, or <team id>=<tag id>:<tag name>")
    if "none" in items and len(items) > 1:
        raise ValueError("none cannot be combined with other entries")
    return items
