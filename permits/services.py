"""Issuing permits. ``permit_create`` runs inside the fan-in transaction (the application row
is locked); ``permit_render`` runs later in a Celery worker and is safe to run twice."""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Permit, PermitStatus

log = logging.getLogger(__name__)


def permit_number(application) -> str:
    return f"P-{application.submitted_at.year}-{application.pk:06d}"


def permit_create(*, application, now=None) -> Permit:
    """The permit row of an application that has just been approved (caller holds the lock)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    valid_days = application.schema.data["service"]["permit_valid_days"]
    return Permit.objects.create(
        application=application, number=permit_number(application), issued_at=now,
        valid_from=today, valid_until=today + timedelta(days=valid_days),
    )


def _claim_render(permit_id: int) -> bool:
    stale_before = timezone.now() - timedelta(seconds=settings.PORTAL_RECONCILE_AFTER_SECONDS)
    return bool(
        Permit.objects.filter(pk=permit_id, rendered_at__isnull=True)
        .filter(Q(render_claimed_at__isnull=True) | Q(render_claimed_at__lt=stale_before))
        .update(render_claimed_at=timezone.now())
    )


def permit_render(*, permit_id: int) -> str:
    """Produce the permit PDF, mark the application issued and tell the applicant.

    Idempotent: a permit whose file exists is skipped; the file name is the permit number,
    so a second run after a crash overwrites rather than adds a file. The file is written
    under the application's row lock and only while the permit is still unrendered, so a
    render overtaken after its claim went stale never replaces the file the row describes."""
    from approvals.locks import lock_application
    from approvals.workflow import application_mark_issued  # engine step after the file exists

    from .rendering import render_permit_pdf

    if not _claim_render(permit_id):
        return "skipped"
    permit = Permit.objects.select_related("application__service_version", "application__applicant").get(pk=permit_id)
    pdf = render_permit_pdf(permit)
    digest = hashlib.sha256(pdf).hexdigest()
    name = f"permits/{permit.number}.pdf"
    with transaction.atomic():
        lock_application(permit.application_id)
        if not Permit.objects.filter(pk=permit.pk, rendered_at__isnull=True).exists():
            return "skipped"
        if default_storage.exists(name):  # left by a run that died before recording it
            default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(pdf))
        Permit.objects.filter(pk=permit.pk).update(
            file=saved, sha256=digest, rendered_at=timezone.now(), render_attempts=permit.render_attempts + 1,
        )
        application_mark_issued(application_id=permit.application_id, permit=permit)
    return "rendered"


def current_permit(application) -> Permit | None:
    return Permit.objects.filter(application=application).exclude(status=PermitStatus.SUPERSEDED).first()
