"""Every row lock of the engine is taken in approvals.locks: a scan of the engine's source (and
of the faces that call it) finds no lock taken anywhere else."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCKING = re.compile(r"select_for_update\(|\bFOR\s+(NO\s+KEY\s+)?UPDATE\b|\bFOR\s+(KEY\s+)?SHARE\b")
SCANNED = ("approvals", "citizen", "workspace")
# The lock module itself; the synthetic history generator and simulator take none, but are
# development tools outside this rule.
ALLOWED = {"approvals/locks.py", "devtools/history.py", "devtools/simulation.py"}


def _code_lines(path: Path):
    in_docstring = False
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        quotes = stripped.count('"""')
        if in_docstring or stripped.startswith('"""'):
            if quotes == 1:
                in_docstring = not in_docstring
            continue
        yield number, line.split("#", 1)[0]


def test_row_locks_are_taken_only_in_the_locks_module():
    found = {}
    for app in SCANNED:
        for path in sorted((ROOT / app).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in ALLOWED or {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
                continue
            if lines := [n for n, code in _code_lines(path) if LOCKING.search(code)]:
                found[name] = lines
    assert found == {}


def test_the_scan_sees_a_lock():
    assert LOCKING.search("Review.objects.select_for_update(of=('self',))")
    assert LOCKING.search('sql = "SELECT id FROM t WHERE id = %s FOR NO KEY UPDATE"')



def test_the_scan_skips_docstrings_and_comments(tmp_path):
    source = tmp_path / "m.py"
    source.write_text('"""Rows are locked\n(FOR NO KEY UPDATE, like the rest)."""\nx = 1  # FOR UPDATE\nq.select_for_update()\n')
    assert [n for n, code in _code_lines(source) if LOCKING.search(code)] == [4]
