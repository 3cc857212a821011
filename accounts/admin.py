from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import User


class EmailCleanMixin:
    """Addresses are stored lower-case and are unique whatever their letter case."""

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        others = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(_("An account with this email address already exists."), code="unique")
        return email


class UserCreationForm(EmailCleanMixin, auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role")


class UserChangeForm(EmailCleanMixin, auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class UserAdmin(BaseUserAdmin):
    """The people's admin pages; registered by portal.admin, which adds the engine's side of a rename."""

    """Accounts sign in with their email address; there is no username. Staff roles and
    department memberships are best set with ``manage.py add_staff``."""

    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("email", "full_name", "role", "email_verified", "is_active", "is_staff", "date_joined")
    list_filter = ("role", "email_verified", "is_active", "is_staff", "is_superuser")
    search_fields = ("email", "full_name", "phone", "id_number")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal details"), {"fields": ("full_name", "phone", "id_number", "address")}),
        (_("Role and status"), {"fields": ("role", "email_verified", "is_active")}),
        (_("Admin site permissions"), {
            "classes": ("collapse",),
            "fields": ("is_staff", "is_superuser", "groups", "user_permissions"),
        }),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {
            "classes": ("wide",),
            "fields": ("email", "full_name", "role", "usable_password", "password1", "password2"),
        }),
    )

