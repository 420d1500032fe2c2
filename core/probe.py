"""What an edge reports when the doctor probes it: one check, whether it passed (None: not probed, and why), the fix."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Probe:
    check: str
    ok: bool | None  # None: not probed, and `detail` says why
    detail: str
    fix: str = ""
