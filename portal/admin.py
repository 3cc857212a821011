from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin import UserAdmin
from accounts.client_ip import client_ip
from accounts.factors import factor_reset, passkey_model
from accounts.models import User
from accounts.second_factor import FreshSecondFactorAdminMixin, fresh_second_factor_required
from approvals.applicants import applicant_name_sync

from .models import SitePage


@admin.register(User)
class PeopleAdmin(FreshSecondFactorAdminMixin, UserAdmin):
    """Registered here, above the engine: a rename carries the new name onto the person's
    reviews, as the profile page's does. Changing a role or a password asks for a fresh second
    factor (accounts.second_factor)."""

    def user_change_password(self, request, id, form_url=""):
        return fresh_second_factor_required(super().user_change_password)(request, id, form_url)

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


# --- People's second factors: seen and removed (a lost phone or key), never added here ------------


class SecondFactorAdmin(FreshSecondFactorAdminMixin, admin.ModelAdmin):
    """Each person sets up their own factors; an administrator only removes one (audited), and the
    person sets up a new one at their next sign-in. Keys and codes are never shown."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__email", "user__full_name")
    list_select_related = ("user",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        factor_reset(device=obj, actor=request.user, ip=client_ip(request))

    def delete_queryset(self, request, queryset):
        for device in queryset.select_related("user"):
            factor_reset(device=device, actor=request.user, ip=client_ip(request))


for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
admin.site.register(TOTPDevice, SecondFactorAdmin)
admin.site.register(StaticDevice, SecondFactorAdmin)
admin.site.register(passkey_model(), SecondFactorAdmin)
