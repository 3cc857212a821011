"""core is the bottom layer: it imports Django and libraries, never one of the portal's apps."""

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

CORE = Path(__file__).resolve().parents[1]
ROOT = CORE.parent
FIRST_PARTY = {p.parent.name for p in ROOT.glob("*/apps.py")} | {"portal", "tests", "bench", "scripts"}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_app_of_the_portal():
    sources = [p for p in CORE.rglob("*.py") if "tests" not in p.relative_to(CORE).parts]
    assert {"errors.py", "nudges.py", "i18n.py", "forms.py", "calendar.py", "pdf.py"} <= {p.name for p in sources}
    found = {str(p.relative_to(ROOT)): sorted(imported_modules(p) & (FIRST_PARTY - {"core"})) for p in sources}
    assert {path: names for path, names in found.items() if names} == {}


def test_core_is_installed_first_of_the_portals_apps_and_has_no_models():
    ours = [app for app in settings.INSTALLED_APPS if app in FIRST_PARTY]
    assert ours[0] == "core"
    assert list(apps.get_app_config("core").get_models()) == []
