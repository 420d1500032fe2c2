"""Writes the Exchange Online set-up for the pool file: an idempotent PowerShell script (ExchangeOnlineManagement)
that creates the shared mailboxes, adds their aliases in small batches, tags them for RootMail's RBAC for
Applications scope and grants RootMail's identity `Application Mail.ReadWrite` on that scope only. It runs with
-WhatIf unless given -Apply, and every step first checks whether it is already done, so it can run again at any time.

    python -m scripts.exchange_setup --pool config/pool.json --app-id <client id> --object-id <principal id>

RBAC for Applications: New-ServicePrincipal, New-ManagementScope -RecipientRestrictionFilter,
New-ManagementRoleAssignment -App -Role "Application Mail.ReadWrite" -CustomResourceScope, checked with
Test-ServicePrincipalAuthorization (https://learn.microsoft.com/exchange/permissions-exo/application-rbac).
Exchange Online allows 400 proxy addresses per recipient, the primary address included
(https://learn.microsoft.com/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from core.addresses.pool import PoolConfigError, load_pool_file
from core.model import Strategy

PROXY_LIMIT = 400  # per recipient, the primary SMTP address included
CHUNK = 25  # aliases per Set-Mailbox call: a failure leaves a small gap, filled by the next run
TAG_ATTRIBUTE = "CustomAttribute10"
TAG = "rootmail"
SCOPE = "RootMail mailboxes"
ROLE = "Application Mail.ReadWrite"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# PowerShell ends a single-quoted string at any of these, not only at the ASCII apostrophe
# (about_Quoting_Rules: "single-quotation marks" include the typographic ones), so each is doubled.
_QUOTES = "'\u2018\u2019\u201a\u201b"


class SetupError(ValueError):
    pass


def quote(value: str) -> str:
    """A PowerShell single-quoted literal: nothing inside is expanded; control characters are refused outright."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise SetupError(f"refusing a value with a control character: {value!r}")
    return "'" + "".join(c * 2 if c in _QUOTES else c for c in value) + "'"


def script(pool_file: Path, app_id: str, object_id: str) -> str:
    """The PowerShell text, or SetupError naming every problem with the pool or the identity."""
    problems = [f"{name} {value!r} is not a GUID" for name, value in (("--app-id", app_id), ("--object-id", object_id))
                if not _GUID.match(value)]
    try:
        pool = load_pool_file(pool_file)
    except PoolConfigError as error:
        raise SetupError("; ".join(problems + [str(error)])) from None
    owner: dict[str, str] = {}
    for mailbox, aliases in pool:
        for address in [mailbox.address, *aliases]:
            if address in owner:
                problems.append(f"{address} is listed for {owner[address]} and {mailbox.address}: an address "
                                "belongs to one recipient")
            owner.setdefault(address, mailbox.address)
        if 1 + len(aliases) > PROXY_LIMIT:
            problems.append(f"{mailbox.address}: {len(aliases)} aliases and its own address pass Exchange's "
                            f"{PROXY_LIMIT} proxy addresses per mailbox")
    if problems:
        raise SetupError("; ".join(problems))
    lines = _header(pool_file, app_id, object_id)
    for mailbox, aliases in pool:
        lines += _mailbox(mailbox.address, aliases if mailbox.strategy is Strategy.ALIAS else [])
    return "\n".join(lines + _grant(app_id, object_id)) + "\n"


def _header(pool_file: Path, app_id: str, object_id: str) -> list[str]:
    return [
        f"# RootMail: Exchange Online set-up generated from {pool_file.name} by scripts/exchange_setup.py.",
        "# Dry run by default (-WhatIf on every change); run with -Apply to make the changes. Safe to run again.",
        "param([switch]$Apply)",
        "$ErrorActionPreference = 'Stop'",
        "$DryRun = -not $Apply",
        "if (-not (Get-Command Get-EXOMailbox -ErrorAction SilentlyContinue)) {",
        "    Import-Module ExchangeOnlineManagement; Connect-ExchangeOnline",
        "}",
        "function Get-Have([string]$Identity) {",
        "    @((Get-Mailbox -Identity $Identity).EmailAddresses | ForEach-Object { $_.ToString().ToLowerInvariant() })",
        "}",
        "",
    ]


def _mailbox(address: str, aliases: list[str]) -> list[str]:
    name = address.split("@", 1)[0]
    lines = [f"# --- mailbox {len(aliases)} aliases: {quote(address)}",
             f"if (-not (Get-Mailbox -Identity {quote(address)} -ErrorAction SilentlyContinue)) {{",
             f"    New-Mailbox -Shared -Name {quote(name)} -DisplayName {quote('RootMail ' + name)} "
             f"-PrimarySmtpAddress {quote(address)} -WhatIf:$DryRun",
             "}",
             f"if ((Get-Mailbox -Identity {quote(address)} -ErrorAction SilentlyContinue).{TAG_ATTRIBUTE} -ne "
             f"{quote(TAG)}) {{",
             f"    Set-Mailbox -Identity {quote(address)} -{TAG_ATTRIBUTE} {quote(TAG)} -WhatIf:$DryRun",
             "}"]
    for start in range(0, len(aliases), CHUNK):
        chunk = aliases[start:start + CHUNK]
        listed = ", ".join(quote(f"smtp:{a}") for a in chunk)
        lines += [f"$add = @({listed}) | Where-Object {{ (Get-Have {quote(address)}) -notcontains $_.ToLowerInvariant() }}",
                  f"if ($add) {{ Set-Mailbox -Identity {quote(address)} -EmailAddresses @{{Add = $add}} "
                  "-WhatIf:$DryRun }"]
    return lines + [""]


def _grant(app_id: str, object_id: str) -> list[str]:
    scope_filter = f"{TAG_ATTRIBUTE} -eq '{TAG}'"
    return [
        "# --- RBAC for Applications: RootMail's identity may read and write mail in these mailboxes only",
        f"if (-not (Get-ServicePrincipal -Identity {quote(object_id)} -ErrorAction SilentlyContinue)) {{",
        f"    New-ServicePrincipal -AppId {quote(app_id)} -ObjectId {quote(object_id)} -DisplayName 'RootMail' "
        "-WhatIf:$DryRun",
        "}",
        f"if (-not (Get-ManagementScope -Identity {quote(SCOPE)} -ErrorAction SilentlyContinue)) {{",
        f"    New-ManagementScope -Name {quote(SCOPE)} -RecipientRestrictionFilter {quote(scope_filter)} "
        "-WhatIf:$DryRun",
        "}",
        f"$granted = Get-ManagementRoleAssignment -RoleAssignee {quote(object_id)} -Role {quote(ROLE)} "
        "-ErrorAction SilentlyContinue | Where-Object { $_.CustomResourceScope -eq " + quote(SCOPE) + " }",
        "if (-not $granted) {",
        f"    New-ManagementRoleAssignment -App {quote(app_id)} -Role {quote(ROLE)} "
        f"-CustomResourceScope {quote(SCOPE)} -WhatIf:$DryRun",
        "}",
        "if ($Apply) {",
        f"    Test-ServicePrincipalAuthorization -Identity {quote(app_id)} | Format-Table",
        "}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=Path, required=True, help="the pool file (ROOTMAIL_POOL_FILE)")
    parser.add_argument("--app-id", required=True, help="client id of RootMail's managed identity (or app)")
    parser.add_argument("--object-id", required=True, help="its service principal's object id")
    parser.add_argument("--out", type=Path, help="write here instead of standard output")
    args = parser.parse_args(argv)
    try:
        text = script(args.pool, args.app_id, args.object_id)
    except SetupError as error:
        print(f"exchange_setup: {error}", file=sys.stderr)
        return 2
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
