"""The wallet page's form: the holder's consent that a department may check a certificate."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from certificates.services import CONSENT_DAYS


class ConsentForm(forms.Form):
    department = forms.ChoiceField(label=_("Department that may check it"))
    days = forms.TypedChoiceField(label=_("For how long"), coerce=int, initial=30, choices=[
        (days, ngettext_lazy("%(days)d day", "%(days)d days", days) % {"days": days}) for days in CONSENT_DAYS])

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("Choose a department")), *departments]
