"""The engine's audit events come from one builder."""

import re
from pathlib import Path

import pytest

from approvals.events import engine_event
from approvals.models import Application, Review

ROOT = Path(__file__).resolve().parents[2]


def test_an_event_about_an_application_names_it_and_its_applicant():
    application = Application(pk=5, applicant_id=9)
    event = engine_event("application.submitted", application, actor=None, ip="10.0.0.1", version=3, note="",
                         fields=[])
    assert (event.object_type, event.object_id, event.subject_id, event.application_id, event.ip, event.details) == (
        "application", 5, 9, 5, "10.0.0.1", {"version": 3})


def test_an_event_about_a_review_without_its_application_names_no_subject():
    event = engine_event("review.claimed", obj=Review(pk=7, application_id=5), department_code="fire", purpose="p")
    assert (event.object_type, event.object_id, event.subject_id, event.application_id, event.department_code,
            event.purpose, event.details) == ("review", 7, None, 5, "fire", "p", {})


@pytest.mark.parametrize("app", ["approvals", "citizen", "departments", "workspace"])
def test_no_other_engine_module_builds_an_audit_event(app):
    built = {path.relative_to(ROOT).as_posix() for path in (ROOT / app).rglob("*.py")
             if "tests" not in path.parts and re.search(r"(?<![\w.])Event\(", path.read_text())}
    # Staff changes (roles, memberships) are not the engine's: their one builder is departments.staff_events.
    assert built - {"approvals/events.py", "departments/staff_events.py"} == set()
