"""The auditor's filters over the audit log (a GET form)."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Action


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor (email)"), required=False, max_length=254)
    department = forms.CharField(label=_("Department code"), required=False, max_length=40)
    application = forms.CharField(label=_("Application (reference or number)"), required=False, max_length=30)
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("Any action")), *Action.choices])
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean_application(self):
        value = self.cleaned_data["application"].strip()
        if not value:
            return None
        number = value.rsplit("-", 1)[-1]
        if not number.isdigit():
            raise forms.ValidationError(_("Give a reference such as A-2026-000123, or the application's number."))
        return int(number)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date %(start)s is after the end date %(end)s: swap them."),
                                        params={"start": start.isoformat(), "end": end.isoformat()})
        today = timezone.localdate(timezone=timezone.get_default_timezone())
        for day in (start, end):
            if day and not (date(2000, 1, 1) <= day <= today + timedelta(days=366)):
                raise forms.ValidationError(_("Choose dates between 2000-01-01 and a year from today."))
        return data
