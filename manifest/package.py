"""Builds the Teams app package: fills the manifest template, validates it offline, zips it with the icons."""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Mapping, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEMPLATE = HERE / "manifest.json"
ICONS = ("color.png", "outline.png")
VALIDATOR = ROOT / "manifest" / "validate.js"
DEFAULT_OUT = ROOT / "build" / "rootmail-teams.zip"
DEFAULT_VERSION = "1.0.0"
APP_ID_VARIABLE = "MicrosoftAppId"
VALIDATE_TIMEOUT = 60  # seconds; node starts and compiles the schema in well under one
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same inputs give the same zip

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_PLACEHOLDER = re.compile(r"\$\{\{(\w+)\}\}")


class PackageError(Exception):
    """The package was not built; the message says why."""


class BadInput(PackageError):
    """The app id or version given to the builder is unusable."""


def check_inputs(app_id: str | None, version: str) -> None:
    problems = []
    if not app_id:
        problems.append(f"no app id: pass --app-id or set {APP_ID_VARIABLE} to the bot's Microsoft App ID")
    elif not _GUID.match(app_id):
        problems.append(f"app id {app_id!r} is not a GUID (like 00000000-0000-0000-0000-000000000000)")
    if not _VERSION.match(version):
        problems.append(f"version {version!r} is not MAJOR.MINOR.PATCH (like 1.0.0), which Teams requires")
    if problems:
        raise BadInput("; ".join(problems))


def render(app_id: str | None, version: str, template: str | None = None) -> dict:
    """The manifest with every `${{NAME}}` placeholder filled; an unknown placeholder is an error."""
    check_inputs(app_id, version)
    values = {"MICROSOFT_APP_ID": app_id, "APP_VERSION": version}
    text = TEMPLATE.read_text(encoding="utf-8") if template is None else template

    def fill(match: re.Match) -> str:
        if match.group(1) not in values:
            raise PackageError(f"manifest.json has a placeholder nobody fills: {match.group(0)}")
        return values[match.group(1)]

    return json.loads(_PLACEHOLDER.sub(fill, text))


def validate(manifest: dict) -> list[str]:
    """Schema errors from @microsoft/app-manifest (empty when valid); PackageError when it cannot judge."""
    node = shutil.which("node")
    if node is None:
        raise PackageError("node is not installed; the manifest is validated with @microsoft/app-manifest")
    try:
        done = subprocess.run([node, str(VALIDATOR)], input=json.dumps(manifest), capture_output=True,
                              text=True, timeout=VALIDATE_TIMEOUT, cwd=ROOT)
    except subprocess.TimeoutExpired:
        raise PackageError(f"the manifest validator did not answer within {VALIDATE_TIMEOUT}s") from None
    try:
        errors = json.loads(done.stdout)["errors"]
    except (ValueError, KeyError, TypeError):
        raise PackageError(f"the manifest validator failed: {done.stderr.strip() or done.stdout.strip()}") from None
    if done.returncode not in (0, 1):
        raise PackageError("could not validate the manifest: " + "; ".join(errors))
    return errors


def write_zip(manifest: dict, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = [("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n")]
        entries += [(name, (HERE / name).read_bytes()) for name in ICONS]
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, ZIP_DATE), data, zipfile.ZIP_DEFLATED)
    partial.replace(out)
    return out


def build(app_id: str | None, version: str = DEFAULT_VERSION, out: Path = DEFAULT_OUT,
          template: str | None = None) -> Path:
    manifest = render(app_id, version, template)
    errors = validate(manifest)
    if errors:
        raise PackageError("the manifest does not match its schema:\n  " + "\n  ".join(errors))
    return write_zip(manifest, out)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="python -m manifest.package", description=__doc__)
    parser.add_argument("--app-id", help=f"the bot's Microsoft App ID (default: ${APP_ID_VARIABLE})")
    parser.add_argument("--version", default=DEFAULT_VERSION, help="app version, MAJOR.MINOR.PATCH")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="zip to write")
    args = parser.parse_args(argv)
    try:
        path = build(args.app_id or environ.get(APP_ID_VARIABLE), args.version, args.out)
    except BadInput as bad:
        print(f"manifest.package: {bad}", file=sys.stderr)
        return 2
    except PackageError as failed:
        print(f"manifest.package: {failed}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
