"""Reads of bundle applications: the citizen's own, their children and combined permit, one merged timeline."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from permits.models import Permit, PermitStatus

from .models import Application, BundleApplication, Notification, Review


def _children() -> Prefetch:
    return Prefetch("children", queryset=Application.objects.select_related("service")
                    .prefetch_related(Prefetch("reviews", queryset=Review.objects.select_related("department")
                                               .order_by("stage", "department__code")),
                                      Prefetch("permits", queryset=Permit.objects.exclude(status=PermitStatus.SUPERSEDED),
                                               to_attr="current_permits"))
                    .order_by("pk"))


def bundles_for_citizen(user):
    """The citizen's bundle applications, latest first, each with its children and its combined
    permit if it has one (``combined_permits``: a constant number of queries however many there are)."""
    combined = Prefetch("permits", queryset=Permit.objects.exclude(status=PermitStatus.SUPERSEDED),
                        to_attr="combined_permits")
    return (BundleApplication.objects.filter(applicant=user).select_related("bundle")
            .prefetch_related(_children(), combined).order_by("-created_at", "-pk"))


def bundle_for_citizen(user, pk: int) -> BundleApplication:
    """The citizen's own bundle application with its children; anyone else's is a 404."""
    return get_object_or_404(bundles_for_citizen(user), pk=pk)


def bundle_timeline(bundle_application: BundleApplication) -> list[Notification]:
    """What the applicant was told about any of the children, oldest first: one timeline."""
    return list(Notification.objects.filter(recipient_id=bundle_application.applicant_id,
                                            application__bundle_application=bundle_application)
                .select_related("application__service", "review__department").order_by("created_at", "pk"))


def permit_of(application) -> Permit | None:
    """The application's current permit: its own, or for a part of a bundle with one combined
    permit, that permit (it hangs on the bundle's first part; every part shows it). Uses the
    ``current_permits`` prefetched with the application."""
    if application.current_permits or not application.bundle_application_id:
        return application.current_permits[0] if application.current_permits else None
    return (Permit.objects.filter(bundle_application_id=application.bundle_application_id)
            .exclude(status=PermitStatus.SUPERSEDED).first())
