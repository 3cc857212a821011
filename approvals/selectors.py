"""Reads of applications for citizens. Another citizen's application does not exist (404)."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from permits.models import Permit, PermitStatus

from .models import Application, Notification, Review


def applications_for_citizen(user):
    return (
        Application.objects.filter(applicant=user)
        .select_related("service")
        .prefetch_related(Prefetch("reviews", queryset=Review.objects.select_related("department")))
        .order_by("-created_at")
    )


def application_for_citizen(user, pk: int) -> Application:
    return get_object_or_404(
        Application.objects.select_related("service", "service_version")
        .prefetch_related(
            Prefetch("reviews", queryset=Review.objects.select_related("department").order_by("stage", "department__code")),
            "attachments",
            Prefetch("permits", queryset=Permit.objects.exclude(status=PermitStatus.SUPERSEDED), to_attr="current_permits"),
        ),
        pk=pk, applicant=user,
    )


def notifications_for(user, *, limit: int = 20):
    return Notification.objects.filter(recipient=user).select_related("application").order_by("-created_at")[:limit]


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
