"""Running the doctor in-process against local fakes and servers; `diagnose(**env)` gives its findings by check."""
from __future__ import annotations

from typing import Any

import pytest

from doctor.checkup import checkup
from doctor.report import Finding
from settings import load_settings
from tests.cosmos_server import cosmos_server  # noqa: F401  (session fixture)

KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


class Findings(list):
    def of(self, part: str) -> list[Finding]:
        return [f for f in self if f.part == part]

    def one(self, part: str, check_starts: str) -> Finding:
        [found] = [f for f in self if f.part == part and f.check.startswith(check_starts)]
        return found

    def text(self) -> str:
        return "\n".join(f"{f.part} {f.status} {f.check} {f.detail} {f.fix}" for f in self)


@pytest.fixture
def diagnose(tmp_path):
    async def run(parts: tuple[str, ...] = (), overrides: dict[str, Any] | None = None, **env: str) -> Findings:
        base = {"ROOTMAIL_STORE": f"sqlite:///{tmp_path / 'rootmail.db'}", "ROOTMAIL_MAIL_SOURCE": "none",
                "ROOTMAIL_INSTANCE_ID": "doctor-test"}
        settings = load_settings(base | env)
        return Findings(await checkup(settings, parts, timeout=30, **(overrides or {})))
    return run
