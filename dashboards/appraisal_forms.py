"""The period of an officer appraisal: a month from the list (as the scorecard's), or any period
of up to a year given by its first and last day. Bad values get a clear message on the page."""

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import EARLIEST, MonthForm, today
from .stats import next_month

MAX_PERIOD_DAYS = 366


class PeriodForm(MonthForm):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if any(name in self.errors for name in ("month", "date_from", "date_to")):
            return data
        start, end = data.get("date_from"), data.get("date_to")
        if not start and not end:
            data["date_from"] = data["month"]
            data["date_to"] = min(next_month(data["month"]) - timedelta(days=1), today())
            return data
        if not start or not end:
            raise forms.ValidationError(_("Give both the first and the last day of the period, or choose a month."))
        if start > end:
            raise forms.ValidationError(_("The start date %(start)s is after the end date %(end)s: swap them."),
                                        params={"start": start.isoformat(), "end": end.isoformat()})
        if start < EARLIEST or end > today():
            raise forms.ValidationError(_("Choose days between %(first)s and today."), params={"first": EARLIEST.isoformat()})
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("Choose a period of at most a year."))
        return data

    def period(self) -> tuple[date, date]:
        return self.cleaned_data["date_from"], self.cleaned_data["date_to"]

    def query(self) -> str:
        start, end = self.period()
        return f"date_from={start.isoformat()}&date_to={end.isoformat()}"
