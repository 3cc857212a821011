"""The admin's form that issues a token for a department system or a front desk (citizens make
their own on their API tokens page). The rules are api_token_create's; its refusals are shown
on the fields they name."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from departments.models import Department

from .models import Scope, TokenKind
from .scopes import KIND_SCOPES


def _kind_defaults() -> str:
    return "; ".join(f"{kind.label}: {', '.join(scopes)}" for kind, scopes in KIND_SCOPES.items()
                     if kind != TokenKind.CITIZEN)


class IssueTokenForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=[(k.value, k.label) for k in (TokenKind.DEPARTMENT,
                                                                                    TokenKind.FRONT_DESK)])
    department = forms.ModelChoiceField(label=_("department"), queryset=Department.objects.order_by("code"),
                                        required=False, help_text=_("For a department system's token."))
    name = forms.CharField(label=_("name"), max_length=100, help_text=_("What the token is for, e.g. the system's name."))
    scopes = forms.MultipleChoiceField(label=_("scopes"), choices=Scope.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        longest = settings.API_TOKEN_LIFETIME_DAYS  # read per form: a setting tests and deployments change
        self.fields["lifetime_days"] = forms.IntegerField(
            label=_("days it works"), min_value=1, max_value=longest, initial=longest,
            help_text=_("At most %(days)d days (API_TOKEN_LIFETIME_DAYS).") % {"days": longest})
        self.order_fields(["kind", "department", "name", "lifetime_days", "scopes"])
        self.fields["scopes"].help_text = _("None ticked: every scope of its kind (%(defaults)s).") % {
            "defaults": _kind_defaults()}

    def issue_arguments(self) -> dict:
        data = self.cleaned_data
        return {"kind": data["kind"], "name": data["name"], "lifetime_days": data["lifetime_days"],
                "department": data["department"] if data["kind"] == TokenKind.DEPARTMENT else None,
                "scopes": data["scopes"] or None}

    def add_service_errors(self, errors: dict) -> None:
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, list(map(str, messages)))
