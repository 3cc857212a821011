"""`manage.py simulate` end to end: the load generator drives applications through the real
workflow from several threads while a real Celery worker routes them and renders the permits;
every application ends final and each approved one has exactly one permit."""

import io
import json

import pytest
from django.core.management import call_command

from approvals.models import Application, ApplicationStatus, Review, ReviewStatus
from audit.models import Action, AuditEvent
from permits.models import Permit
from tests.celery_worker import *  # noqa: F403  (the fixtures celery_queue and start_worker)

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FINAL = {ApplicationStatus.ISSUED, ApplicationStatus.REJECTED}


def simulate(service, *args) -> dict:
    out = io.StringIO()
    call_command("simulate", "--service", service.slug, *args, "--processes", "1", "--wait", "180", stdout=out)
    return json.loads(out.getvalue())


def test_mixed_decisions_end_final_with_one_permit_per_approved_application(restaurant, officers, start_worker, settings,
                                                                          tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    start_worker(concurrency=2)

    summary = simulate(restaurant, "--applications", "30", "--concurrency", "4", "--decide", "mixed")

    applications = Application.objects.filter(pk__in=Application.objects.exclude(status=ApplicationStatus.DRAFT))
    assert applications.count() == 30
    assert set(applications.values_list("status", flat=True)) <= FINAL
    issued = applications.filter(status=ApplicationStatus.ISSUED)
    assert Permit.objects.count() == issued.count() == summary["final_states"].get("issued", 0)
    assert sorted(Permit.objects.values_list("application_id", flat=True)) == sorted(issued.values_list("pk", flat=True))
    assert summary["all_final"] is True and summary["error_count"] == 0
    assert summary["applications"] == 30
    # Every review of an issued application approved; a rejected one has no review left open.
    assert not Review.objects.filter(application__in=issued).exclude(status=ReviewStatus.APPROVED).exists()
    assert not Review.objects.filter(application__status=ApplicationStatus.REJECTED,
                                     status__in=[ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS, ReviewStatus.WAITING]
                                     ).exists()
    # In mixed mode officers claim some reviews before deciding them; none is left held.
    claimed = AuditEvent.objects.filter(action=Action.REVIEW_CLAIMED).values_list("object_id", flat=True)
    assert claimed
    assert not Review.objects.filter(pk__in=[int(pk) for pk in claimed], decided_at__isnull=True).exists()
    # Reviews decided before the worker got to them are never routed; the rest were, once.
    assert summary["submit_to_routed_ms"]["routed"] == Review.objects.filter(stage=1, routed_at__isnull=False).count()


def test_unknown_service_and_bad_counts_are_clear_errors(restaurant):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown service 'no-such-service'"):
        call_command("simulate", "--service", "no-such-service", "--applications", "1")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("simulate", "--service", restaurant.slug, "--applications", "0")
