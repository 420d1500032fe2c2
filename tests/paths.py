"""Where the tests' own data lives, so a test file can move between folders without its paths breaking."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAILS = ROOT / "tests" / "mails"
