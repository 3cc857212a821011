"""The dashboards' filters (GET forms): dates, service, department, month. Bad values get a clear
message on the page, never an error page."""

from datetime import date, timedelta

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from approvals.sla import local_today as today

from .selectors import Filters

DEFAULT_DAYS = 90
MAX_DAYS = 366 * 5
EARLIEST = date(2000, 1, 1)


class DashboardFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    service = forms.CharField(label=_("Service"), required=False, widget=forms.Select)
    department = forms.CharField(label=_("Department"), required=False, widget=forms.Select)

    def __init__(self, data, *, departments, services, require_department=False):
        super().__init__(data)
        self.departments = {d.code: d for d in departments}
        self.services = {s.slug: s for s in services}
        self.require_department = require_department
        department_choices = [(code, d.display_name) for code, d in self.departments.items()]
        if not require_department:
            department_choices.insert(0, ("", _("All departments")))
        self.fields["department"].widget.choices = department_choices
        self.fields["service"].widget.choices = [("", _("All services"))] + [
            (slug, s.display_name) for slug, s in self.services.items()]

    def clean_service(self):
        slug = self.cleaned_data["service"].strip()
        if slug and slug not in self.services:
            raise forms.ValidationError(_("There is no service “%(value)s”: choose one from the list."),
                                        params={"value": slug[:60]})
        return self.services.get(slug)

    def clean_department(self):
        code = self.cleaned_data["department"].strip()
        if code and code not in self.departments:
            raise forms.ValidationError(_("There is no department “%(value)s” you can see: choose one from the list."),
                                        params={"value": code[:60]})
        if not code and self.require_department:
            return next(iter(self.departments.values()))
        return self.departments.get(code)

    def clean(self):
        data = super().clean()
        end = data.get("date_to") or today()
        start = data.get("date_from") or (end - timedelta(days=DEFAULT_DAYS - 1))
        if "date_from" in self.errors or "date_to" in self.errors:
            return data
        if start > end:
            raise forms.ValidationError(_("The start date %(start)s is after the end date %(end)s: swap them."),
                                        params={"start": start.isoformat(), "end": end.isoformat()})
        if start < EARLIEST or end > today() + timedelta(days=366):
            raise forms.ValidationError(_("Choose dates between %(first)s and a year from today."),
                                        params={"first": EARLIEST.isoformat()})
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose a range of at most five years."))
        data["date_from"], data["date_to"] = start, end
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(date_from=data["date_from"], date_to=data["date_to"],
                       service_id=data["service"].pk if data.get("service") else None,
                       department_id=data["department"].pk if data.get("department") else None)

    def query(self) -> dict:
        """The cleaned filters as query parameters (for links and exports)."""
        data = self.cleaned_data
        return {"date_from": data["date_from"].isoformat(), "date_to": data["date_to"].isoformat(),
                "service": data["service"].slug if data.get("service") else "",
                "department": data["department"].code if data.get("department") else ""}


MONTHS_LISTED = 60  # the month picker lists the last five years, newest first


def month_label(first: date) -> str:
    """A month as the page's language names it: "December 2026", "2026年12月"."""
    return date_format(first, "YEAR_MONTH_FORMAT")


class MonthForm(forms.Form):
    """One month, picked from a list of named months (a plain <select>: keyboard, screen readers and
    pages without JavaScript all know it); any month since 2000 can still be given as YYYY-MM."""

    month = forms.CharField(label=_("Month"), required=False, widget=forms.Select)

    def __init__(self, data=None):
        super().__init__(data)
        self.months = recent_months()

    def month_choices(self) -> list[tuple[str, str, bool]]:
        """(value, label, selected) for each option: the listed months, plus the one asked for if it is older."""
        chosen = self.cleaned_data["month"] if self.is_valid() else None
        months = self.months + ([chosen] if chosen and chosen not in self.months else [])
        return [(m.strftime("%Y-%m"), month_label(m), m == chosen) for m in months]

    def clean_month(self):
        return parse_month(self.cleaned_data["month"]) or today().replace(day=1)


def recent_months(count: int = MONTHS_LISTED) -> list[date]:
    """The first days of this month and the ``count`` − 1 before it, newest first."""
    months = [today().replace(day=1)]
    for _i in range(count - 1):
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months


def parse_month(value: str) -> date | None:
    """A month given as YYYY-MM, between 2000 and this month, as its first day; None when blank."""
    value = value.strip()
    if not value:
        return None
    try:
        year, month = (int(part) for part in value.split("-"))
        first = date(year, month, 1)
    except (ValueError, TypeError):
        raise forms.ValidationError(_("Give the month as YYYY-MM, for example 2026-11.")) from None
    if first < EARLIEST or first > today():
        raise forms.ValidationError(_("Choose a month between %(first)s and this month."),
                                    params={"first": EARLIEST.strftime("%Y-%m")})
    return first


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


class MonthRangeForm(forms.Form):
    """A range of whole months for the public performance pages and data (GET ``month_from``,
    ``month_to``, YYYY-MM): by default the twelve months up to the last whole one; a longer range than
    ``MAX_MONTHS`` keeps its last ``MAX_MONTHS`` months (``capped``)."""

    DEFAULT_MONTHS = 12
    MAX_MONTHS = 36

    month_from = forms.CharField(label=_("First month"), required=False, max_length=20)
    month_to = forms.CharField(label=_("Last month"), required=False, max_length=20)

    def __init__(self, data=None):
        super().__init__(data)
        self.capped = False
        self.choices = recent_months()

    def clean_month_from(self):
        return parse_month(self.cleaned_data["month_from"])

    def clean_month_to(self):
        return parse_month(self.cleaned_data["month_to"])

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        end = data.get("month_to") or add_months(today().replace(day=1), -1)
        start = data.get("month_from") or add_months(end, 1 - self.DEFAULT_MONTHS)
        if start > end:
            raise forms.ValidationError(_("The first month %(start)s is after the last month %(end)s: swap them."),
                                        params={"start": start.strftime("%Y-%m"), "end": end.strftime("%Y-%m")})
        if add_months(start, self.MAX_MONTHS) <= end:
            start, self.capped = add_months(end, 1 - self.MAX_MONTHS), True
        data["month_from"], data["month_to"] = max(start, EARLIEST), end
        return data

    def months(self) -> list[date]:
        """The chosen months, oldest first."""
        month, end, result = self.cleaned_data["month_from"], self.cleaned_data["month_to"], []
        while month <= end:
            result.append(month)
            month = add_months(month, 1)
        return result

    def month_choices(self, name: str) -> list[tuple[str, str, bool]]:
        """(value, label, selected) of the picker of ``name``: the listed months plus the chosen one if older."""
        chosen = self.cleaned_data.get(name) if self.is_valid() else None
        months = self.choices + ([chosen] if chosen and chosen not in self.choices else [])
        return [(m.strftime("%Y-%m"), month_label(m), m == chosen) for m in months]

    def query(self) -> dict:
        return {name: self.cleaned_data[name].strftime("%Y-%m") for name in ("month_from", "month_to")}

