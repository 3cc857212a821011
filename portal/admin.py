from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin import UserAdmin
from accounts.client_ip import client_ip
from accounts.factors import factor_reset, passkey_model
from accounts.models import Role, User
from accounts.second_factor import FreshSecondFactorAdminMixin, fresh_second_factor_required
from approvals.applicants import applicant_name_sync
from audit.models import Action
from audit.services import Event, access_record, audit_record
from departments.staff_events import password_set_event, role_state, staff_change_events

from .models import SitePage


@admin.register(User)
class PeopleAdmin(FreshSecondFactorAdminMixin, UserAdmin):
    """Registered here, above the engine: a rename carries the new name onto the person's
    reviews, as the profile page's does. Opening a citizen's page, changing a role and setting a
    password are audited (a citizen sees the first under "who viewed my data"); changing a role or
    a password asks for a fresh second factor (accounts.second_factor)."""

    def user_change_password(self, request, id, form_url=""):
        return fresh_second_factor_required(self._password_set_audited)(request, id, form_url)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            citizen = User.objects.filter(pk=unquote(object_id), role=Role.CITIZEN).values_list("pk", flat=True).first()
            if citizen is not None:
                access_record(Event(action=Action.PERSONAL_DATA_VIEWED, object_type="user", object_id=citizen,
                                    actor=request.user, subject_id=citizen, ip=client_ip(request),
                                    purpose="administration"))
        return response

    def save_model(self, request, obj, form, change):
        # In the admin's transaction (changeform_view is atomic), like the profile page's rename.
        before = role_state(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if change and "full_name" in form.changed_data:
            applicant_name_sync(obj)
        audit_record(*staff_change_events([obj], {obj.pk: before}, {}, actor=request.user, ip=client_ip(request)))

    @transaction.atomic
    def _password_set_audited(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        # Saved: the page goes on to the person's page (a refused form comes back to itself).
        if request.method == "POST" and response.status_code == 302 and response.url != request.get_full_path():
            audit_record(password_set_event(User.objects.get(pk=unquote(id)), actor=request.user, ip=client_ip(request),
                                            purpose="administration"))
        return response


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
