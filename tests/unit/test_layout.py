"""The tree shows the architecture: packages per capability, imports only downward, SDKs only at their edge.

Read statically (ast), so a function-level or TYPE_CHECKING import counts like any other: a cycle hidden
behind one is still a cycle.
"""
from __future__ import annotations

import ast
import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from tests.paths import ROOT

APP_PACKAGES = ("core", "storage", "mail", "cards", "bot", "api", "aws", "crypto", "obs", "wiring", "settings",
                "manifest", "scripts", "doctor")
FIRST_PARTY = APP_PACKAGES + ("app", "logs", "tests", "bench")

# package -> the first-party packages it may import (itself always allowed); the architecture notes' table
MAY_IMPORT = {
    "core": (),
    "core.addresses": ("core",),
    "core.intake": ("core", "core.addresses"),
    "core.delivery": ("core", "core.addresses", "core.intake"),
    "core.adoption": ("core", "core.addresses", "core.intake"),
    "core.root_access": ("core", "core.addresses", "core.intake"),
    "storage": ("core",),
    "mail": ("core",),
    "cards": ("core",),
    "bot": ("core", "cards", "settings"),
    "api": ("core", "settings"),
    "aws": ("core",),
    "crypto": ("core",),
    "obs": ("core",),
    "settings": ("core",),
    "manifest": ("core", "settings", "bot"),
    "scripts": ("core", "settings", "mail"),
}
# third-party SDKs and the only places that may import them
SDK_EDGES = {
    "botbuilder": ("bot", "wiring", "app", "tests", "bench"),
    "azure.cosmos": ("storage.cosmos", "tests", "bench"),
    "msgraph": ("mail.graph", "tests", "bench"),
    "kiota_abstractions": ("mail.graph", "tests", "bench"),
    "boto3": ("aws", "tests", "bench"),
    "botocore": ("aws", "tests", "bench"),
}
MAX_LINES = 300


def _python_files() -> list[Path]:
    skip = {".venv", ".venv-iac", "node_modules", ".git", "var", "build"}
    return sorted(p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _imports() -> dict[str, set[str]]:
    """module -> every module name it imports (absolute), as written."""
    found: dict[str, set[str]] = {}
    for path in _python_files():
        module = _module_name(path)
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[module] = names
    return found


def _first_party_edges() -> dict[str, set[str]]:
    modules = set(_imports())
    edges: dict[str, set[str]] = {}
    for module, names in _imports().items():
        # `from core.intake import parsed` names the module core.intake.parsed; `from core.model import X` names core.model
        edges[module] = {name for name in names if name in modules and name != module}
    return edges


def _owner(module: str, packages) -> str | None:
    """The most specific package in `packages` that contains the module."""
    matches = [p for p in packages if module == p or module.startswith(p + ".")]
    return max(matches, key=len) if matches else None


def test_there_are_no_import_cycles():
    edges = _first_party_edges()
    # Tarjan's strongly connected components: any component of more than one module is a cycle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            # a package's __init__ importing its own modules, or a module naming its own package, is how packages
            # work (Python runs the package first), not a cycle
            if target.startswith(node + ".") or node.startswith(target + "."):
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(10_000, limit))  # the walk recurses once per import level; put back for other tests
    try:
        for module in sorted(edges):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    assert cycles == []


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_imports_only_run_downward(package):
    allowed = {package, *MAY_IMPORT[package]}
    wrong = []
    for module, names in _imports().items():
        if _owner(module, MAY_IMPORT) != package:
            continue
        for name in names:
            top = name.split(".")[0]
            if top not in FIRST_PARTY:
                continue
            target = _owner(name, MAY_IMPORT) or top
            # inside core each capability names the others it uses; outside, "core" is all of it
            inside = package.split(".")[0] == "core"
            if not (target in allowed if inside else any(target == a or target.startswith(a + ".") for a in allowed)):
                wrong.append(f"{module} imports {name}")
    assert wrong == []


def test_core_uses_the_standard_library_only():
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    outside = sorted(f"{module} imports {name}" for module, names in _imports().items()
                     if module == "core" or module.startswith("core.")
                     for name in names if name.split(".")[0] not in stdlib and name.split(".")[0] != "core")
    assert outside == []


@pytest.mark.parametrize("sdk", sorted(SDK_EDGES))
def test_each_sdk_stays_at_its_edge(sdk):
    leaks = sorted(f"{module} imports {name}" for module, names in _imports().items() for name in names
                   if (name == sdk or name.startswith(sdk + ".")) and not _owner(module, SDK_EDGES[sdk]))
    assert leaks == []


def _packages() -> list[Path]:
    return sorted({p.parent for p in _python_files() if p.name == "__init__.py"})


@pytest.mark.parametrize("folder", [p for p in _packages() if p.relative_to(ROOT).parts[0] in APP_PACKAGES],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_package_opens_with_one_line_saying_its_role(folder):
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
    assert doc.strip(), f"{folder.relative_to(ROOT)}/__init__.py has no docstring"
    assert len(doc.splitlines()[0]) <= 160


IMPORTS_CLAUSE = re.compile(r"(?:Imports (?P<names>[\w., ]+?)\.|(?P<stdlib>Standard library only)\.)$")


@pytest.mark.parametrize("folder", [p for p in _packages() if p.relative_to(ROOT).parts[0] in APP_PACKAGES],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_package_says_in_its_first_line_what_it_may_import(folder):
    """The first line ends with what the package may import, as MAY_IMPORT holds it: a reader learns the rule
    where the code is, and the two cannot drift apart ("Imports any package." for the composition root's parts)."""
    first = (ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or "").splitlines()[0]
    clause = IMPORTS_CLAUSE.search(first)
    assert clause, f"{first!r} does not end with 'Imports ….' or 'Standard library only.'"
    package = _module_name(folder / "__init__.py")
    owner = _owner(package, MAY_IMPORT)
    if clause["stdlib"]:
        assert owner is not None and MAY_IMPORT[owner] == ()
        return
    named = set(re.split(r", | and ", clause["names"]))
    if owner is None:
        assert named == {"any package"}, f"{package} has no rule in MAY_IMPORT, so it says 'Imports any package.'"
    else:
        assert named == set(MAY_IMPORT[owner]) | ({owner} - {package}), first


def _prefix(name: str) -> str | None:
    stem = name.removeprefix("test_")
    return stem.split("_")[0] + "_" if "_" in stem else None


@pytest.mark.parametrize("folder", _packages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_file_prefix_is_a_missing_package(folder):
    prefixes = Counter(_prefix(p.stem) for p in folder.glob("*.py"))
    prefixes.pop(None, None)
    assert [p for p, n in prefixes.items() if n >= 3] == []


@pytest.mark.parametrize("path", [p for p in _python_files() if p.relative_to(ROOT).parts[0] in APP_PACKAGES
                                  or p.parent == ROOT], ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_the_readme_tree_names_every_package():
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("The tree, one line per package"):].split("```")[1]
    listed, parent = set(), ""
    for line in block.splitlines():
        if match := re.match(r"^( *)([a-z_]+)/ ", line):
            indent, name = match.groups()
            parent = name if not indent else parent
            listed.add(name if not indent else f"{parent}/{name}")
    packages = {str(p.relative_to(ROOT)) for p in _packages() if p.relative_to(ROOT).parts[0] in APP_PACKAGES}
    assert packages - listed == set()
