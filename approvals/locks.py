"""Row locks, in one place. Every transition that can change an application's outcome locks
the application row first, so concurrent decisions on its reviews serialize there.

The lock is FOR NO KEY UPDATE: it serializes the transitions but, unlike FOR UPDATE, lets other
transactions insert rows that point at the application (notifications, audit events), whose
foreign-key checks take a KEY SHARE lock at commit. With FOR UPDATE, routing (which inserts such
rows while holding review rows) and a decision (which holds the application and waits for a
review row) deadlock."""

from django.db.models import Subquery

from departments.models import Membership

from .models import Application, Review


def lock_application(application_id: int) -> Application:
    return (
        Application.objects.select_for_update(of=("self",), no_key=True)
        .select_related("service_version", "service")
        .get(pk=application_id)
    )


def lock_application_of_review(review_id: int, *, actor_id: int | None = None) -> Application:
    """Lock the application a review belongs to, in one statement. With ``actor_id`` the
    application also carries ``actor_role``: that user's role in the review's department, or
    None when they are not an active member of it."""
    query = Application.objects.select_for_update(of=("self",), no_key=True).select_related("service_version", "service")
    if actor_id is not None:
        query = query.annotate(actor_role=Subquery(
            Membership.objects.filter(user_id=actor_id, user__is_active=True, department__reviews__pk=review_id)
            .values("role")[:1]
        ))
    return query.get(pk=Subquery(Review.objects.filter(pk=review_id).values("application_id")))
