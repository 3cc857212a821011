from django.contrib import admin

from .models import SitePage


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
