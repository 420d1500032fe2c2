"""The sealing key: present, well-formed, private, and the same on every instance — compared by key id (a hash kept in
the store by each instance, core.intake.sealing_keys), never by the key."""
from __future__ import annotations

import stat
from datetime import datetime, timezone

from core.errors import StoreUnavailable
from core.intake.sealing_keys import recent_key_ids
from crypto.box import KeyFormatError, key_id, parse_keys
from doctor.report import Finding, failed, passed, skipped
from settings import Settings
from wiring.protection import key_file

PART = "secrets"
MAKE_KEY = ("python -c \"import secrets, base64; print(base64.b64encode(secrets.token_bytes(32)).decode())\"; "
            "in Azure keep it in Key Vault and reference it from the container app (infra/ does this)")


async def check(context) -> list[Finding]:
    settings: Settings = context.settings
    keys, found = _keys(settings)
    if not keys:
        return found
    sealing = key_id(keys[0])
    found.append(passed(PART, "the sealing key is well-formed", f"{len(keys)} key(s); new codes sealed with key id "
                        f"{sealing}"))
    if context.store is None:
        return found + [skipped(PART, "every instance seals with the same key", "the store could not be opened")]
    try:
        seen = await recent_key_ids(context.store, lambda: datetime.now(timezone.utc))
    except StoreUnavailable as problem:
        return found + [failed(PART, "every instance seals with the same key", str(problem)[:300],
                               "fix the store first (see above)")]
    others = {kid: who for kid, who in seen.items() if kid != sealing}
    if others:
        named = ", ".join(f"{kid} (instance {who})" for kid, who in sorted(others.items()))
        return found + [failed(PART, "every instance seals with the same key", f"this configuration seals with "
                               f"{sealing}; in the last day other instances sealed with {named}",
                               "set the same ROOTMAIL_SECRET_KEY list (same first key) on every instance")]
    if not seen:
        return found + [skipped(PART, "every instance seals with the same key", "no instance has noted its key id "
                                "yet (each does once the store answers)")]
    return found + [passed(PART, "every instance seals with the same key", f"all recent instances use {sealing}")]


def _keys(settings: Settings) -> tuple[list[bytes], list[Finding]]:
    if settings.secret_key:
        try:
            return parse_keys(settings.secret_key), []
        except KeyFormatError as problem:  # settings checked it already; kept for a key changed since
            return [], [failed(PART, "the sealing key is well-formed", str(problem), MAKE_KEY)]
    if settings.store_url == "cosmos":
        return [], [failed(PART, "the sealing key is set", "ROOTMAIL_SECRET_KEY is empty: each instance would seal "
                           "with a key of its own, which the others cannot open",
                           "set ROOTMAIL_SECRET_KEY: " + MAKE_KEY)]
    path = key_file(settings)
    if not path.is_file():
        return [], [skipped(PART, "the sealing key file", f"{path} does not exist yet; RootMail creates it, "
                            "owner-only, on first start")]
    mode = stat.S_IMODE(path.stat().st_mode)
    found = []
    if mode & 0o077:
        found.append(failed(PART, "the sealing key file is private", f"{path} has mode {mode:o}",
                            f"chmod 600 {path}"))
    else:
        found.append(passed(PART, "the sealing key file is private", f"{path}, mode {mode:o}"))
    try:
        return parse_keys(path.read_text(encoding="ascii")), found
    except (KeyFormatError, UnicodeDecodeError) as problem:
        return [], found + [failed(PART, "the sealing key is well-formed", f"{path}: {problem}",
                                   f"restore the file from backup, or set ROOTMAIL_SECRET_KEY: {MAKE_KEY}")]
