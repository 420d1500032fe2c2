"""`python -m doctor [--json] [--only store,aws]`: check this deployment's wiring with the app's own settings.
Exit code 0 when nothing failed, 1 when a check failed, 2 when the settings themselves are wrong."""
from __future__ import annotations

import argparse
import asyncio
import sys

from doctor.checkup import PARTS, checkup
from doctor.report import FAILED, as_json, as_text
from logs import configure_logging
from settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m doctor", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON document instead of text")
    parser.add_argument("--only", default="", help=f"comma-separated parts to check: {', '.join(PARTS)}")
    args = parser.parse_args(argv)
    parts = tuple(p.strip() for p in args.only.split(",") if p.strip())
    if unknown := [p for p in parts if p not in PARTS]:
        parser.error(f"unknown part {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging("ERROR", "text")  # the findings say what went wrong; library warnings would repeat it
    findings = asyncio.run(checkup(settings, parts))
    print(as_json(findings) if args.json else as_text(findings))
    return 1 if any(f.status == FAILED for f in findings) else 0


if __name__ == "__main__":
    raise SystemExit(main())
