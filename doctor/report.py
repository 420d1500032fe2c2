"""What the doctor found: one line per check — passed, failed with the exact fix, or skipped as not configured."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
MARKS = {PASSED: "✓", FAILED: "✗", SKIPPED: "–"}


@dataclass(frozen=True)
class Finding:
    part: str  # bot, graph, store, aws, api, secrets
    check: str  # what was checked, in words
    status: str
    detail: str = ""  # what was seen
    fix: str = ""  # for a failure: the permission, the command line or the setting that fixes it


def passed(part: str, check: str, detail: str = "") -> Finding:
    return Finding(part, check, PASSED, detail)


def failed(part: str, check: str, detail: str, fix: str) -> Finding:
    return Finding(part, check, FAILED, detail, fix)


def skipped(part: str, check: str, why: str = "not configured") -> Finding:
    return Finding(part, check, SKIPPED, why)


def as_text(findings: list[Finding]) -> str:
    lines, part = [], None
    for finding in findings:
        if finding.part != part:
            part = finding.part
            lines.append(f"{part}:")
        line = f"  {MARKS[finding.status]} {finding.check}"
        if finding.detail:
            line += f" — {finding.detail}"
        lines.append(line)
        if finding.fix:
            lines.extend(f"      fix: {fix_line}" if i == 0 else f"           {fix_line}"
                         for i, fix_line in enumerate(finding.fix.splitlines()))
    failures = sum(f.status == FAILED for f in findings)
    lines.append("" if not lines else "")
    lines.append(f"{sum(f.status == PASSED for f in findings)} passed, {failures} failed, "
                 f"{sum(f.status == SKIPPED for f in findings)} skipped")
    return "\n".join(lines)


def as_json(findings: list[Finding]) -> str:
    return json.dumps({"ok": not any(f.status == FAILED for f in findings),
                       "findings": [asdict(f) for f in findings]}, indent=2)
