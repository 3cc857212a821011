"""Row locks, in one place. Every transition that can change an application's outcome locks
the application row first, so concurrent decisions on its reviews serialize there."""

from .models import Application


def lock_application(application_id: int) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("service_version", "service")
        .get(pk=application_id)
    )
