"""scripts/exchange_setup.py: the PowerShell it writes names every alias exactly once, stays within Exchange's limits,
quotes whatever the pool file holds so nothing in it can run, and guards every change so a second run changes
nothing (and the default run changes nothing at all: -WhatIf)."""
from __future__ import annotations

import json
import re

import pytest

from scripts.exchange_setup import CHUNK, SetupError, main, quote, script

APP = "6b1f0c2e-0000-4000-8000-00000000a001"
OBJECT = "9d1c8f2e-0000-4000-8000-00000000b001"
CHANGES = ("New-Mailbox", "Set-Mailbox", "New-ServicePrincipal", "New-ManagementScope", "New-ManagementRoleAssignment")


def pool(tmp_path, mailboxes) -> object:
    path = tmp_path / "pool.json"
    path.write_text(json.dumps({"mailboxes": mailboxes}))
    return path


def code(text: str) -> str:
    """The text without its whole-line comments (# to the end of the line, outside strings)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def literals(text: str) -> list[str]:
    """The single-quoted literals of a PowerShell text, as PowerShell reads them ('' inside is one quote)."""
    return [m.replace("''", "'") for m in re.findall(r"'((?:[^']|'')*)'", code(text))]


def outside_quotes(text: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", code(text))


def test_every_alias_is_added_exactly_once_in_small_batches(tmp_path):
    path = pool(tmp_path, [
        {"address": "aws-root-01@example.com", "aliases": {"pattern": "aws-{n:04d}@example.com", "from": 1, "to": 300}},
        {"address": "aws-root-02@example.com", "aliases": ["team-a@example.com", "team-b@example.com"]},
        {"address": "aws-root@example.com", "strategy": "plus"}])

    text = script(path, APP, OBJECT)

    added = [v.removeprefix("smtp:") for v in literals(text) if v.startswith("smtp:")]
    expected = [f"aws-{n:04d}@example.com" for n in range(1, 301)] + ["team-a@example.com", "team-b@example.com"]
    assert sorted(added) == sorted(expected) and len(added) == len(set(added))
    batches = [line for line in text.splitlines() if line.startswith("$add = @(")]
    assert len(batches) == 12 + 1 and all(line.count("'smtp:") <= CHUNK for line in batches)
    assert text.count("New-Mailbox -Shared") == 3  # the plus mailbox too, with no aliases


def test_a_mailbox_past_exchanges_proxy_address_limit_is_refused(tmp_path):
    path = pool(tmp_path, [{"address": "aws-root-01@example.com",
                            "aliases": {"pattern": "aws-{n:04d}@example.com", "from": 1, "to": 400}}])
    with pytest.raises(SetupError, match="400 proxy addresses per mailbox"):
        script(path, APP, OBJECT)


def test_an_alias_listed_for_two_mailboxes_is_refused(tmp_path):
    path = pool(tmp_path, [{"address": "aws-root-01@example.com", "aliases": ["shared@example.com"]},
                           {"address": "aws-root-02@example.com", "aliases": ["shared@example.com"]}])
    with pytest.raises(SetupError, match="shared@example.com is listed for aws-root-01@example.com and aws-root-02"):
        script(path, APP, OBJECT)


@pytest.mark.parametrize("hostile", [
    "a'; Remove-Mailbox -Identity * -Confirm:$false; '",
    "$(Remove-Mailbox -Identity *)",
    "x\u2019; Remove-Mailbox *; \u2018",  # PowerShell ends single-quoted strings at typographic quotes too
    "`n@{Add='x'}",
])
def test_hostile_values_stay_one_literal(hostile):
    quoted = quote(hostile)
    assert literals(quoted) == [hostile.replace("\u2019", "\u2019\u2019").replace("\u2018", "\u2018\u2018")]
    assert outside_quotes(quoted) == "''"


@pytest.mark.parametrize("hostile", ["a\nRemove-Mailbox *", "a\rb", "a\x00b"])
def test_control_characters_are_refused(hostile):
    with pytest.raises(SetupError, match="control character"):
        quote(hostile)


def test_an_apostrophe_address_from_the_pool_cannot_break_out(tmp_path):
    path = pool(tmp_path, [{"address": "o'brien-aws@example.com", "aliases": ["o'neil-aws@example.com"]}])

    text = script(path, APP, OBJECT)

    assert "smtp:o'neil-aws@example.com" in literals(text) and "o'brien-aws@example.com" in literals(text)
    assert "brien" not in outside_quotes(text) and "neil" not in outside_quotes(text)


def test_the_identity_must_be_guids_not_text(tmp_path):
    path = pool(tmp_path, [{"address": "aws-root@example.com", "strategy": "plus"}])
    with pytest.raises(SetupError, match="--app-id .* is not a GUID"):
        script(path, "x'; Remove-Mailbox *; '", OBJECT)


def test_every_change_is_guarded_and_a_dry_run_unless_applied(tmp_path):
    path = pool(tmp_path, [{"address": "aws-root-01@example.com", "aliases": ["a1@example.com", "a2@example.com"]}])
    lines = script(path, APP, OBJECT).splitlines()

    assert "param([switch]$Apply)" in lines and "$DryRun = -not $Apply" in lines
    for index, line in enumerate(lines):
        if any(re.search(rf"(^|[{{;]\s*){cmd}\b", line) for cmd in CHANGES):
            assert line.rstrip().endswith("-WhatIf:$DryRun") or line.rstrip().endswith("-WhatIf:$DryRun }"), line
            guard = line if line.startswith("if (") else lines[index - 1]
            assert guard.startswith("if ("), f"unguarded: {line}"
    assert any("Get-ManagementRoleAssignment" in line and "CustomResourceScope" in line for line in lines)
    assert any("-Role 'Application Mail.ReadWrite' -CustomResourceScope 'RootMail mailboxes'" in line
               for line in lines)
    assert "-RecipientRestrictionFilter 'CustomAttribute10 -eq ''rootmail'''" in "\n".join(lines)


def test_the_command_writes_the_file_or_names_the_problem(tmp_path, capsys):
    path = pool(tmp_path, [{"address": "aws-root@example.com", "strategy": "plus"}])
    out = tmp_path / "build" / "exchange-setup.ps1"
    assert main(["--pool", str(path), "--app-id", APP, "--object-id", OBJECT, "--out", str(out)]) == 0
    assert out.read_text().startswith("# RootMail: Exchange Online set-up")
    assert main(["--pool", str(tmp_path / "missing.json"), "--app-id", APP, "--object-id", OBJECT]) == 2
    assert "missing.json" in capsys.readouterr().err
