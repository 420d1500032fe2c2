"""The filled manifest passes Microsoft's own schema (offline), and the check rejects broken manifests."""
from __future__ import annotations

import copy
import json
import subprocess

import pytest

from manifest import package

APP_ID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def run_validator(manifest: dict) -> tuple[int, list[str]]:
    done = subprocess.run(["node", str(package.VALIDATOR)], input=json.dumps(manifest), capture_output=True,
                          text=True, timeout=60, cwd=package.ROOT)
    return done.returncode, json.loads(done.stdout)["errors"]


@pytest.fixture(scope="module")
def filled() -> dict:
    return package.render(APP_ID, "1.2.3")


def test_filled_manifest_passes_the_bundled_schema(filled):
    assert run_validator(filled) == (0, [])


def test_schema_url_names_the_manifest_version(filled):
    assert filled["$schema"] == (
        f"https://developer.microsoft.com/json-schemas/teams/v{filled['manifestVersion']}/MicrosoftTeams.schema.json")


def _without_bot_id(manifest):
    del manifest["bots"][0]["botId"]


def _id_not_a_guid(manifest):
    manifest["id"] = "rootmail"


def _version_mismatch(manifest):
    manifest["manifestVersion"] = "1.3"


def _long_short_description(manifest):
    manifest["description"]["short"] = "x" * 81


def _unknown_scope(manifest):
    manifest["bots"][0]["scopes"].append("everywhere")


@pytest.mark.parametrize("breakage, path", [
    (_without_bot_id, "/bots/0"),
    (_id_not_a_guid, "/id"),
    (_version_mismatch, "/manifestVersion"),
    (_long_short_description, "/description/short"),
    (_unknown_scope, "/bots/0/scopes/3"),
])
def test_broken_manifest_is_reported_at_the_broken_field(filled, breakage, path):
    broken = copy.deepcopy(filled)
    breakage(broken)
    code, errors = run_validator(broken)
    assert code == 1
    assert any(error.startswith(path + " ") for error in errors), errors


def test_schema_the_package_does_not_bundle_is_refused_not_fetched(filled):
    unbundled = "https://developer.microsoft.com/json-schemas/teams/v9.99/MicrosoftTeams.schema.json"
    broken = {**filled, "$schema": unbundled}
    code, errors = run_validator(broken)
    assert code == 1
    assert "does not bundle" in errors[0]


def test_package_validate_returns_the_schema_errors(filled):
    broken = copy.deepcopy(filled)
    _without_bot_id(broken)
    assert any("botId" in error for error in package.validate(broken))
    assert package.validate(filled) == []
