"""`python -m manifest.package` builds the zip Teams accepts, or refuses with a reason and exit code 2."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from manifest import package

APP_ID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


@pytest.fixture
def out(tmp_path):
    return tmp_path / "dist" / "rootmail-teams.zip"


def read_zip(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_builds_a_zip_with_the_manifest_and_both_icons_at_its_root(out, capsys):
    assert package.main(["--app-id", APP_ID, "--version", "2.4.1", "--out", str(out)], environ={}) == 0
    assert capsys.readouterr().out.strip() == str(out)
    files = read_zip(out)
    assert sorted(files) == ["color.png", "manifest.json", "outline.png"]
    assert files["color.png"] == (package.HERE / "color.png").read_bytes()
    assert files["outline.png"] == (package.HERE / "outline.png").read_bytes()


def test_app_id_and_version_are_filled_everywhere(out):
    package.main(["--app-id", APP_ID, "--version", "2.4.1", "--out", str(out)], environ={})
    text = read_zip(out)["manifest.json"].decode()
    manifest = json.loads(text)
    assert (manifest["id"], manifest["bots"][0]["botId"], manifest["version"]) == (APP_ID, APP_ID, "2.4.1")
    assert "${{" not in text


def test_app_id_comes_from_the_environment_when_not_given(out):
    assert package.main(["--out", str(out)], environ={"MicrosoftAppId": APP_ID}) == 0
    assert json.loads(read_zip(out)["manifest.json"])["id"] == APP_ID


def test_option_wins_over_the_environment(out):
    other = "00000000-1111-2222-3333-444444444444"
    package.main(["--app-id", APP_ID, "--out", str(out)], environ={"MicrosoftAppId": other})
    assert json.loads(read_zip(out)["manifest.json"])["id"] == APP_ID


@pytest.mark.parametrize("args, environ, says", [
    ([], {}, "MicrosoftAppId"),
    (["--app-id", "rootmail-bot"], {}, "not a GUID"),
    ([], {"MicrosoftAppId": "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5"}, "not a GUID"),
    (["--app-id", APP_ID, "--version", "1.0"], {}, "MAJOR.MINOR.PATCH"),
])
def test_refuses_unusable_input_with_exit_2_and_writes_nothing(out, capsys, args, environ, says):
    assert package.main([*args, "--out", str(out)], environ=environ) == 2
    assert says in capsys.readouterr().err
    assert not out.exists()


def test_runs_as_a_module_from_any_working_directory(tmp_path, out):
    done = subprocess.run([sys.executable, "-m", "manifest.package", "--app-id", APP_ID, "--out", str(out)],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(package.ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert sorted(read_zip(out)) == ["color.png", "manifest.json", "outline.png"]


def test_default_output_is_the_repository_build_folder():
    assert package.DEFAULT_OUT == package.ROOT / "build" / "rootmail-teams.zip"


def test_a_placeholder_nobody_fills_stops_the_build():
    with pytest.raises(package.PackageError, match="BOT_DOMAIN"):
        package.render(APP_ID, "1.0.0", template='{"validDomains": ["${{BOT_DOMAIN}}"]}')


def test_a_manifest_failing_the_schema_is_not_packaged(out):
    template = package.TEMPLATE.read_text(encoding="utf-8").replace('"accentColor": "#', '"accentColor": "')
    with pytest.raises(package.PackageError, match="/accentColor"):
        package.build(APP_ID, "1.0.0", out, template=template)
    assert not out.exists()
