"""The finance pages' forms: a day, a period, a statement upload, and the resolutions of an issue.
Bad input gets a message on the page, never an error page."""

from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.payment_issues import NOTE_MAX_LENGTH

EARLIEST = date(2000, 1, 1)
MAX_PERIOD_DAYS = 366 * 5


def today() -> date:
    return timezone.localdate()


def _date_field(label):
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}),
                           error_messages={"invalid": _("Enter a real date, like 2026-12-07.")})


def _in_range(value: date | None) -> date | None:
    if value is not None and not EARLIEST <= value <= today() + timedelta(days=1):
        raise forms.ValidationError(_("Choose a date between 2000 and today."))
    return value


class DayForm(forms.Form):
    day = _date_field(_("Day"))

    def clean_day(self):
        return _in_range(self.cleaned_data["day"]) or today()


class PeriodForm(forms.Form):
    date_from = _date_field(_("From"))
    date_to = _date_field(_("To"))

    def clean_date_from(self):
        return _in_range(self.cleaned_data["date_from"])

    def clean_date_to(self):
        return _in_range(self.cleaned_data["date_to"])

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        end = data.get("date_to") or today()
        start = data.get("date_from") or end.replace(day=1)
        if start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        if (end - start).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("Choose a period of at most five years."))
        data["date_from"], data["date_to"] = start, end
        return data


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement"),
        help_text=_("ISO 20022 camt.053 (XML) or CSV with the columns date, amount, currency, reference, text."),
        error_messages={"required": _("Choose the statement file to upload."),
                        "empty": _("The file is empty.")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.STATEMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large: a statement can be at most %(size)s.")
                % {"size": filesizeformat(settings.STATEMENT_MAX_BYTES)})
        return upload


class ApplyForm(forms.Form):
    prefix = "apply"
    code = forms.CharField(label=_("Payment code of the order"), max_length=40,
                           help_text=_("20 digits, as printed on the order. Spaces are fine."),
                           error_messages={"required": _("Enter the payment code of the order to apply the money to.")})


class ReturnForm(forms.Form):
    prefix = "return"
    note = forms.CharField(label=_("Note (how and when it was sent back)"), required=False,
                           max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"max_length": _("Keep the note to %(limit_value)s characters.")})


class DismissForm(forms.Form):
    prefix = "dismiss"
    note = forms.CharField(label=_("Why is the money dismissed?"), max_length=NOTE_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Say why the money is dismissed."),
                                           "max_length": _("Keep the note to %(limit_value)s characters.")})
