"""Forms of a rectification case: the account of what was done, and giving the case to a colleague.
The account's rules (required, its length) are the engine's (approvals.rectifications), so its
messages are the same wherever it is written."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.models import RECTIFICATION_ACCOUNT_MAX_LENGTH, RECTIFICATION_ACCOUNT_MIN_LENGTH


def _helper(label: str, name: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.add_input(Submit(name, label))
    return helper


class AccountForm(forms.Form):
    account = forms.CharField(label=_("What your department did"), required=False,
                              widget=forms.Textarea(attrs={"rows": 5, "maxlength": RECTIFICATION_ACCOUNT_MAX_LENGTH}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].help_text = _(
            "The applicant reads this. Say what went wrong and what was changed, in %(min)s to %(max)s characters."
        ) % {"min": RECTIFICATION_ACCOUNT_MIN_LENGTH, "max": RECTIFICATION_ACCOUNT_MAX_LENGTH}
        self.helper = _helper(_("Close the case"), "close")


class ReassignForm(forms.Form):
    owner = forms.TypedChoiceField(label=_("Give the case to"), coerce=int)

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, prefix="reassign", **kwargs)
        self.fields["owner"].choices = [("", _("Choose a colleague")), *colleagues]
        self.helper = _helper(_("Give the case"), "reassign")
