"""Print the README's settings table from settings.SPEC, so the two never drift apart."""
from settings import SPEC


def table() -> str:
    rows = ["| variable | default | example | meaning |", "|---|---|---|---|"]
    for name, _, default, _, secret, description, example in SPEC:
        rows.append(f"| `{name}` | {f'`{default}`' if default else '(empty)'} | `{example}` | "
                    f"{description}{' Secret: never logged.' if secret else ''} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
