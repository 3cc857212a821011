from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiToken, WebhookDelivery, WebhookSubscription
from .services import api_token_revoke
from .webhooks import webhook_resend


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "kind", "department", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = ("kind", "department", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "user__email")
    readonly_fields = ("name", "kind", "prefix", "user", "department", "created_at", "last_used_at", "revoked_at")
    exclude = ("digest",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # tokens are made with `manage.py create_api_token`, which shows them once

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the audit log names them

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
