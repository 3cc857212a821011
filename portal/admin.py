from django.contrib import admin

from accounts.admin import UserAdmin
from accounts.models import User
from approvals.applicants import applicant_name_sync

from .models import SitePage


@admin.register(User)
class PeopleAdmin(UserAdmin):
    """Registered here, above the engine: a rename carries the new name onto the person's
    reviews, as the profile page's does."""

    def save_model(self, request, obj, form, change):
        # In the admin's transaction (changeform_view is atomic), like the profile page's rename.
        super().save_model(request, obj, form, change)
        if change and "full_name" in form.changed_data:
            applicant_name_sync(obj)


@admin.register(SitePage)
class SitePageAdmin(admin.ModelAdmin):
    """The five pages exist from the first migration on: the administrator edits their text."""

    list_display = ("slug", "title_en", "title_zh_hans", "updated_at")
    readonly_fields = ("slug", "updated_at")
    fields = ("slug", "title_en", "body_en", "title_zh_hans", "body_zh_hans", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
