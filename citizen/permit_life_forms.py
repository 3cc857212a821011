"""The holder's form to cancel their permit: the reason and the day it takes effect. The
engine (approvals.permit_life) checks both again, so the API is held to the same rules."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.permit_life import cancellation_date_checked
from approvals.sla import local_today
from core.errors import ValidationFailed
from permits.services import REASON_MAX_LENGTH


class PermitCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why are you giving up the permit?"), max_length=REASON_MAX_LENGTH,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _("Give the reason.")})
    cancelled_from = forms.DateField(label=_("Cancel it from"), widget=forms.DateInput(attrs={"type": "date"}),
                                     error_messages={"required": _("Enter the date the cancellation takes effect."),
                                                     "invalid": _("Enter a real date, for example 2027-03-31.")})

    def __init__(self, *args, permit, **kwargs):
        super().__init__(*args, **kwargs)
        self.permit = permit
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("cancel", _("Cancel the permit"), css_class="btn-danger"))
        self.fields["reason"].help_text = _("For example: the shop is closing. Up to %(max)s characters.") % {
            "max": REASON_MAX_LENGTH}
        self.fields["cancelled_from"].help_text = _(
            "Today or a later day. The permit stays valid until then; from that day it shows as cancelled.")

    def clean_cancelled_from(self):
        # The engine's rule, so that a bad date shows beside a missing reason.
        try:
            return cancellation_date_checked(self.permit, self.cleaned_data["cancelled_from"], local_today())
        except ValidationFailed as failed:
            raise forms.ValidationError(failed.errors["cancelled_from"]) from None
