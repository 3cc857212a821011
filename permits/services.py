"""Permit rows and files: numbering, the row of an approved application, claiming and storing
its rendered file. A leaf the engine calls: the engine (approvals.permit_flow) locks the
application, moves statuses and tells people; nothing here imports the engine."""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import rendering
from .models import Permit, PermitStatus

log = logging.getLogger(__name__)


def permit_number(application) -> str:
    return f"P-{application.submitted_at.year}-{application.pk:06d}"


def permit_create(*, application, now=None, bundle_application=None, members=()) -> Permit:
    """The permit row of an application that has just been approved (caller holds the lock). A
    combined permit of a bundle application hangs on its first child (``application``) and is
    valid as long as the shortest-lived of the permits it stands for (``members``: every child).

    A renewal's permit is the next of the renewed permit's series, valid from the day after that
    one ends (today if it has already ended) for the service's validity. An amendment's is the
    next of the amended permit's series too, valid from today until the amended one's end (an
    amendment changes details, not how long the permit lasts). The permit followed (the current
    one of its application, should it have been corrected meanwhile) is superseded from the day
    the new one starts, which its state computes (Permit.superseded_from)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    valid_days = min(member.schema.data["service"]["permit_valid_days"] for member in (members or [application]))
    if not application.follows_id:
        return Permit.objects.create(
            application=application, bundle_application=bundle_application, number=permit_number(application),
            issued_at=now, valid_from=today, valid_until=today + timedelta(days=valid_days),
        )
    followed = current_permit(application.follows.application)
    if application.renews_id:
        valid_from = max(followed.valid_until + timedelta(days=1), today)
        valid_until = valid_from + timedelta(days=valid_days)
    else:
        valid_from, valid_until = today, followed.valid_until
    permit = Permit.objects.create(
        application=application, number=reissue_number(followed), issued_at=now, replaces=followed,
        valid_from=valid_from, valid_until=valid_until,
    )
    Permit.objects.filter(pk=followed.pk).update(superseded_from=valid_from)
    followed.superseded_from = valid_from
    return permit


REASON_MAX_LENGTH = 1000
# What a re-issue may correct on the permit, with the longest value it accepts.
CORRECTABLE = {"holder": 120, "business_name": 200, "site_address": 300}
CORRECTABLE_LABELS = {"holder": _("Holder"), "business_name": _("Business name"), "site_address": _("Business site")}


def reissue_number(permit: Permit) -> str:
    """The next permit of ``permit``'s series, after a correction, a renewal or an amendment: P-2026-000123,
    P-2026-000123-2, ... (the series is the first permit's number; its later ones add a count)."""
    series = "-".join(permit.number.split("-")[:3])
    issued = Permit.objects.filter(Q(number=series) | Q(number__startswith=f"{series}-")).count()
    return f"{series}-{issued + 1}"


def permit_render_claim(permit_id: int) -> bool:
    """Claim an unrendered permit for rendering (a claim older than the reconcile delay is
    taken over); False when it is rendered or freshly claimed by another worker."""
    stale_before = timezone.now() - timedelta(seconds=settings.PORTAL_RECONCILE_AFTER_SECONDS)
    return bool(
        Permit.objects.filter(pk=permit_id, rendered_at__isnull=True)
        .filter(Q(render_claimed_at__isnull=True) | Q(render_claimed_at__lt=stale_before))
        .update(render_claimed_at=timezone.now())
    )


def permit_pdf(permit_id: int) -> tuple[Permit, bytes]:
    """The permit and its signed PDF; the facts it states are fixed now if they were not yet."""
    permit = (Permit.objects.select_related("application__service_version", "application__applicant", "replaces",
                                            "bundle_application")
              .get(pk=permit_id))
    if not permit.data:
        permit.data = rendering.permit_facts(permit.application, bundle_application=permit.bundle_application)
    return permit, rendering.render_permit_pdf(permit)


def permit_file_store(permit: Permit, pdf: bytes) -> bool:
    """Record the permit's file, named by its number (a second run after a crash overwrites
    rather than adds a file); False, storing nothing, when the permit is already rendered.
    The caller holds the application's row lock, so a render overtaken after its claim went
    stale never replaces the file the row describes."""
    if not Permit.objects.filter(pk=permit.pk, rendered_at__isnull=True).exists():
        return False
    name = f"permits/{permit.number}.pdf"
    if default_storage.exists(name):  # left by a run that died before recording it
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(pdf))
    Permit.objects.filter(pk=permit.pk).update(
        file=saved, sha256=hashlib.sha256(pdf).hexdigest(), data=permit.data, rendered_at=timezone.now(),
        render_attempts=permit.render_attempts + 1,
    )
    return True


def current_permit(application) -> Permit | None:
    return Permit.objects.filter(application=application).exclude(status=PermitStatus.SUPERSEDED).first()
