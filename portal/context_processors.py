from django.conf import settings

from approvals.selectors import unread_count

from .display import large_text


def site(request):
    context = {"SITE_URL": settings.SITE_URL, "large_text": large_text(request)}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # A callable: only pages that show the badge pay for the count.
        context["unread_notifications"] = lambda: unread_count(user)
    return context
