"""`python -m doctor` as an operator runs it: text or --json on stdout, exit 0 when nothing failed, 1 when a check
failed, 2 when the settings themselves are wrong."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.paths import ROOT


def doctor(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ROOTMAIL_", "Microsoft"))}
    base |= {"ROOTMAIL_STORE": f"sqlite:///{tmp_path / 'rootmail.db'}", "ROOTMAIL_MAIL_SOURCE": "none"} | env
    return subprocess.run([sys.executable, "-m", "doctor", *args], cwd=ROOT, env=base, capture_output=True, text=True,
                          timeout=120)


def test_json_on_the_embedded_defaults_exits_0(tmp_path):
    run = doctor(tmp_path, "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["ok"] is True
    assert {f["part"] for f in report["findings"]} == {"store", "secrets", "bot", "graph", "aws", "api"}


def test_a_failed_check_exits_1_and_prints_its_fix(tmp_path):
    (tmp_path / "blocker").write_text("not a folder")
    run = doctor(tmp_path, "--only", "store", ROOTMAIL_STORE=f"sqlite:///{tmp_path / 'blocker' / 'x.db'}")
    assert run.returncode == 1
    assert "✗" in run.stdout and "fix: ROOTMAIL_STORE" in run.stdout


def test_bad_settings_exit_2_naming_them(tmp_path):
    run = doctor(tmp_path, ROOTMAIL_PORT="not-a-port")
    assert run.returncode == 2 and "ROOTMAIL_PORT" in run.stderr
