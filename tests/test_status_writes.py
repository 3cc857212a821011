"""Only the engine's transition module writes the status of an application, a review, a
permit or a permit correction (the development tools that fabricate rows aside): a scan of the source keeps it so."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The transition module, and the synthetic history generator (a development tool that writes
# fabricated rows in bulk). Tests and migrations are not scanned.
ALLOWED = {
    "approvals/transitions.py",
    "devtools/history.py",
}
SKIPPED_DIRS = {".venv", "node_modules", "var", "migrations", "tests", ".git", "__pycache__"}
ENGINE_ENUMS = {"ApplicationStatus", "ReviewStatus", "PermitStatus", "ReissueRequestStatus"}
ENGINE_STATES = {"draft", "in_review", "needs_correction", "approved", "issued", "rejected", "withdrawn", "waiting",
                 "pending", "in_progress", "correction_requested", "cancelled", "valid", "revoked", "superseded"}
WRITING_CALLS = {"update", "create", "get_or_create", "update_or_create", "bulk_create"}
ENGINE_MODELS = {"Application", "Review", "Permit", "ReissueRequest"}


def _names(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _engine_value(node) -> bool:
    """A value that may be an engine state: it names an engine status enum, is one of their
    values as a literal, or is anything else not plainly another model's status enum."""
    if isinstance(node, ast.Constant):
        return node.value in ENGINE_STATES
    names = _names(node)
    if names & ENGINE_ENUMS:
        return True
    return not any(name.endswith("Status") for name in names)


def _call_name(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def status_writes(source: str) -> list[int]:
    """Line numbers of the status writes in ``source``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            for t in ast.walk(target):
                if isinstance(t, ast.Attribute) and t.attr == "status" and isinstance(t.ctx, ast.Store):
                    lines.append(node.lineno)
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            if name in WRITING_CALLS or name in ENGINE_MODELS:
                if any(k.arg == "status" and _engine_value(k.value) for k in node.keywords):
                    lines.append(node.lineno)
            if name == "setattr" and len(node.args) > 1 and getattr(node.args[1], "value", None) == "status":
                lines.append(node.lineno)
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if getattr(key, "value", None) == "status" and _names(value) & ENGINE_ENUMS:
                    lines.append(node.lineno)
    return sorted(set(lines))


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if SKIPPED_DIRS & set(relative.parts[:-1]) or relative.name.startswith(("test_", "conftest")):
            continue
        yield relative.as_posix(), path


@pytest.mark.parametrize(("source", "expected"), [
    ("application.status = ApplicationStatus.ISSUED", [1]),
    ("review.status, review.reason = ReviewStatus.REJECTED, reason", [1]),
    ("Review.objects.filter(pk=1).update(status=ReviewStatus.PENDING)", [1]),
    ("Review.objects.filter(pk=1).update(status='cancelled')", [1]),
    ("Permit.objects.create(application=a, status=state)", [1]),
    ("Review(application=a, status=ReviewStatus.WAITING)", [1]),
    ("setattr(permit, 'status', new)", [1]),
    ("fields = {'status': ReviewStatus.PENDING}\nReview.objects.update(**fields)", [1]),
    ("Review.objects.filter(status=ReviewStatus.PENDING).count()", []),
    ("if review.status == ReviewStatus.PENDING: pass", []),
    ("Check.objects.filter(pk=1).update(status=ChainCheckStatus.RUNNING)", []),
    ("render(request, 'x.html', status=400)", []),
    ("status_move(application, ApplicationStatus.ISSUED)", []),
])
def test_the_scan_finds_each_way_of_writing_a_status(source, expected):
    assert status_writes(source) == expected


def test_the_allowed_files_exist():
    assert [name for name in sorted(ALLOWED) if not (ROOT / name).exists()] == []


def test_statuses_are_written_only_through_the_transition_module():
    found = {}
    for name, path in _sources():
        if name not in ALLOWED and (lines := status_writes(path.read_text())):
            found[name] = lines
    assert found == {}
