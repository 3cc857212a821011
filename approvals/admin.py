from django.contrib import admin

from core.read_only_admin import ReadOnlyAdmin

from .models import ApplicationShare


@admin.register(ApplicationShare)
class ApplicationShareAdmin(ReadOnlyAdmin):
    """Shares are made and revoked on the review page, where they are audited; here they are read-only."""

    list_display = ("application", "from_department", "department", "granted_by", "expires_at", "revoked_at")
    list_filter = ("department", "from_department")
