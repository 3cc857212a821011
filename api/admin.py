from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.second_factor import confirm_url, is_fresh
from core.errors import ValidationFailed

from .forms import IssueTokenForm
from .models import ApiToken, WebhookDelivery, WebhookSubscription
from .services import api_token_create, api_token_revoke
from .webhooks import webhook_resend


class ExpiryFilter(admin.SimpleListFilter):
    title = _("expiry")
    parameter_name = "expiry"

    def lookups(self, request, model_admin):
        soon = max(settings.API_TOKEN_EXPIRY_WARNING_DAYS, default=30)
        return [("valid", _("Not expired")),
                ("soon", _("Expires within %(days)d days") % {"days": soon}),
                ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "valid":
            return queryset.filter(expires_at__gt=now)
        if self.value() == "soon":
            soon = max(settings.API_TOKEN_EXPIRY_WARNING_DAYS, default=30)
            return queryset.filter(expires_at__gt=now, expires_at__lte=now + timedelta(days=soon))
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed, revoked and issued here (for department systems and front desks, shown
    once); issuing asks for a fresh second factor, as `manage.py create_api_token` needs the server."""

    list_display = ("name", "prefix", "kind", "department", "user", "scope_list", "created_at", "expires_at",
                    "last_used_at", "revoked_at")
    list_filter = ("kind", "department", ExpiryFilter, ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "user__email")
    readonly_fields = ("name", "kind", "prefix", "user", "department", "scope_list", "created_at", "created_by",
                       "expires_at", "expiry_warned_days", "last_used_at", "revoked_at")
    exclude = ("digest", "scopes")
    actions = ["revoke"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the audit log names them

    @admin.display(description=_("scopes"))
    def scope_list(self, obj):
        return ", ".join(map(str, obj.scope_labels))

    def add_view(self, request, form_url="", extra_context=None):
        """Issue a token: the form, then a page that shows it once (never stored, never redirected)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if not is_fresh(request):
            return redirect(confirm_url(request.get_full_path()))
        form = IssueTokenForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                token, clear = api_token_create(created_by=request.user, **form.issue_arguments())
            except ValidationFailed as exc:
                form.add_service_errors(exc.errors)
            else:
                self.log_addition(request, token, [{"added": {}}])
                return TemplateResponse(request, "admin/api/apitoken/issued.html", {
                    **self.admin_site.each_context(request), "opts": self.opts, "token": token, "clear": clear,
                    "title": _("API token issued")})
        adminform = helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {})
        context = {
            **self.admin_site.each_context(request), "title": _("Issue an API token"), "adminform": adminform,
            "object_id": None, "original": None, "is_popup": False, "to_field": None, "inline_admin_formsets": [],
            "media": self.media + adminform.media, "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request), "show_save_and_add_another": False,
            "show_save_and_continue": False, **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token_id=token.pk, actor=request.user)
        self.message_user(request, ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", queryset.count())
                          % {"n": queryset.count()}, messages.SUCCESS)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("department", "url", "active", "created_at")
    list_filter = ("active", "department")
    # Made through the API, where the address is checked and the secret shown once: here the
    # administrator switches a subscription off or changes its events. The secret never shows.
    fields = ("department", "url", "events", "active", "signing_secret", "created_at")
    readonly_fields = ("department", "url", "signing_secret", "created_at")

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("signing secret"))
    def signing_secret(self, obj):
        return _("Shown once, to the department system that subscribed; kept encrypted.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event_type", "event_id", "subscription", "status", "attempts", "last_status_code",
                    "last_error", "next_attempt_at", "created_at")
    list_filter = ("status", "event_type", "subscription__department")
    search_fields = ("event_id",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Send the selected deliveries again"))
    def resend(self, request, queryset):
        count = webhook_resend(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", count)
                          % {"n": count}, messages.SUCCESS)
