"""The permits app is a leaf the engine calls: none of its modules imports the engine."""

import ast
from pathlib import Path

PERMITS = Path(__file__).resolve().parent.parent


def _imported(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.add(node.module or "")
    return modules


def test_no_permits_module_imports_approvals():
    sources = [p for p in PERMITS.rglob("*.py") if "tests" not in p.relative_to(PERMITS).parts]
    assert len(sources) > 8
    found = {p.relative_to(PERMITS).as_posix(): sorted(m for m in _imported(p) if m.split(".")[0] == "approvals")
             for p in sources}
    assert {name: modules for name, modules in found.items() if modules} == {}
