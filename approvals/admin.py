from django.contrib import admin

from .models import ApplicationShare


@admin.register(ApplicationShare)
class ApplicationShareAdmin(admin.ModelAdmin):
    """Shares are made and revoked on the review page, where they are audited; here they are read-only."""

    list_display = ("application", "from_department", "department", "granted_by", "expires_at", "revoked_at")
    list_filter = ("department", "from_department")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
