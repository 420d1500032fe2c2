"""Every audit event RootMail writes reads in words on the audit card (cards.protection.EVENT_WORDS)."""
import ast
import re

from cards.protection import EVENT_WORDS
from tests.paths import ROOT

_ACTION = re.compile(r"^[a-z]+(-[a-z]+)*$")


def _written_actions() -> set[str]:
    """Action names written anywhere in core/ as string literals: AuditEvent(when, actor, action, ...), and the
    first string given to an `_audit(...)` helper (its action)."""
    found: set[str] = set()
    for path in (ROOT / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if name == "AuditEvent" and len(node.args) > 2 and isinstance(node.args[2], ast.Constant):
                found.add(node.args[2].value)
            elif name == "_audit" and strings:
                found.add(strings[0])
    return {action for action in found if _ACTION.match(action)}


def test_every_audit_action_written_in_core_has_words():
    assert _written_actions() - set(EVENT_WORDS) == set()
