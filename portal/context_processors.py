from django.conf import settings


def site(request):
    context = {"SITE_URL": settings.SITE_URL}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Lazy: only pages that show the badge pay for the count.
        from approvals.selectors import unread_count

        context["unread_notifications"] = lambda: unread_count(user)
    return context
