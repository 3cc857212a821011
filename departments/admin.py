from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from catalogue.admin import TranslationsMixin, publish
from catalogue.models import Service

from .models import Department, Membership, StandardReason


class DepartmentAdminForm(TranslationsMixin, forms.ModelForm):
    complete = ("name",)

    class Meta:
        model = Department
        fields = ("code", "name", "email")

    def clean(self):
        cleaned_data = super().clean()
        self._check_translations()
        return cleaned_data


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role")
    raw_id_fields = ("user",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    form = DepartmentAdminForm
    inlines = [MembershipInline]
    list_display = ("code", "display_name", "email")
    search_fields = ("code", "name", "email")

    @admin.display(description=_("name"))
    def display_name(self, obj):
        return obj.display_name

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A service's published form names its reviewing departments.
        services = Service.objects.filter(requirements__department=form.instance).distinct().order_by("position", "slug")
        publish(request, services, self.message_user)


class StandardReasonAdminForm(TranslationsMixin, forms.ModelForm):
    complete = ("text",)

    class Meta:
        model = StandardReason
        fields = ("department", "text", "position", "active")

    def clean(self):
        cleaned_data = super().clean()
        self._check_translations()
        return cleaned_data


@admin.register(StandardReason)
class StandardReasonAdmin(admin.ModelAdmin):
    form = StandardReasonAdminForm
    list_display = ("department", "display_text", "position", "active")
    list_filter = ("department", "active")
    ordering = ("department__code", "position")

    @admin.display(description=_("text"))
    def display_text(self, obj):
        return obj.display_text
