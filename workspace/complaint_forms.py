"""The handler's answer to a complaint, and a supervisor's handing it to a colleague."""

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.models import COMPLAINT_ANSWER_MAX_LENGTH
from core.forms import submit_helper


class AnswerForm(forms.Form):
    upheld = forms.TypedChoiceField(label=_("Is the complaint upheld?"), widget=forms.RadioSelect,
                                    coerce=lambda value: value == "yes",
                                    choices=[("yes", _("Upheld: the complaint is justified")),
                                             ("no", _("Not upheld"))])
    text = forms.CharField(label=_("Your written answer to the complainant"), max_length=COMPLAINT_ANSWER_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = _("The complainant reads it as you write it, with your name.")
        self.helper = submit_helper("answer", _("Send the answer"))


class ReassignForm(forms.Form):
    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"] = forms.TypedChoiceField(
            label=_("Hand the complaint to"), coerce=int,
            choices=[(m.user_id, m.user.get_full_name() or m.user.email) for m in members])
        self.helper = submit_helper("reassign", _("Hand over"))
