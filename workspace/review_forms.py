"""The review page's decision and reply forms."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.models import MESSAGE_MAX_LENGTH


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect,
        choices=[("approve", _("Approve")), ("reject", _("Reject")), ("correction", _("Ask the applicant to correct"))],
    )
    conditions = forms.CharField(label=_("Conditions (if approving)"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                 max_length=2000)
    standard_reason = forms.TypedChoiceField(label=_("Standard reason (if rejecting)"), required=False, coerce=int,
                                             empty_value=None)
    reason = forms.CharField(label=_("Reason (required if rejecting)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    correction_fields = forms.MultipleChoiceField(label=_("What must be corrected"), required=False,
                                                  widget=forms.CheckboxSelectMultiple)
    message = forms.CharField(label=_("Message to the applicant (if asking for a correction)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, field_choices, reason_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["correction_fields"].choices = field_choices
        if reason_choices:
            self.fields["standard_reason"].choices = [("", _("None: I explain below")), *reason_choices]
            self.fields["reason"].label = _("Details of the reason")
        else:
            del self.fields["standard_reason"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("decide", _("Record decision")))

    def reason_text(self, standard_texts: dict) -> str:
        """The stored reason: the chosen standard reason (``standard_texts`` by id), then the details."""
        standard = standard_texts.get(self.cleaned_data.get("standard_reason"), "")
        details = (self.cleaned_data.get("reason") or "").strip()
        return "\n".join(part for part in (standard, details) if part)


class ReplyForm(forms.Form):
    """A message in a consultation thread (an officer's reply on the review page)."""

    body = forms.CharField(
        label=_("Your message to the applicant"), max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("send", _("Send message")))
