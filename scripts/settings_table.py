"""Print the README's settings table from settings.SPEC, or rewrite it in place (--update README.md)."""
import argparse
import re
from pathlib import Path

from settings import SPEC

HEADER = "| variable | default | example | meaning |"


def table() -> str:
    rows = [HEADER, "|---|---|---|---|"]
    for name, _, default, _, secret, description, example in SPEC:
        rows.append(f"| `{name}` | {f'`{default}`' if default else '(empty)'} | `{example}` | "
                    f"{description}{' Secret: never logged.' if secret else ''} |")
    return "\n".join(rows)


def update(readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(HEADER) + r"\n(?:\|.*\n)+")
    if not pattern.search(text):
        raise SystemExit(f"{readme}: no settings table found")
    readme.write_text(pattern.sub(lambda _: table() + "\n", text, count=1), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--update", type=Path, help="rewrite the table in this Markdown file")
    args = parser.parse_args()
    update(args.update) if args.update else print(table())
