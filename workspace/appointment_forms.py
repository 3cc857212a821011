"""The forms of appointment slots and of pre-application advice in the workspace."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.advice import ANSWER_MAX_LENGTH
from approvals.appointments import SlotPlan
from approvals.models import AppointmentMode


def _helper(label: str, name: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.add_input(Submit(name, label))
    return helper


class SlotPlanForm(forms.Form):
    """Slots to publish; what makes a plan unusable (the past, closing before opening, no seat)
    is the engine's one rule (approvals.appointments.plan_problems), shown as the form's error."""

    department = forms.ModelChoiceField(label=_("Department"), queryset=None, empty_label=None)
    service = forms.ModelChoiceField(label=_("Service"), queryset=None, required=False,
                                     empty_label=_("Any service of the department"))
    first_day = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    opens = forms.TimeField(label=_("Opens at"), widget=forms.TimeInput(attrs={"type": "time"}))
    closes = forms.TimeField(label=_("Closes at"), widget=forms.TimeInput(attrs={"type": "time"}))
    minutes = forms.IntegerField(label=_("Length of a slot (minutes)"), min_value=5, max_value=480, initial=30)
    capacity = forms.IntegerField(label=_("Seats in each slot"), min_value=1, max_value=100, initial=1)
    mode = forms.ChoiceField(label=_("Where"), choices=AppointmentMode.choices)
    video_link = forms.URLField(label=_("Video link (online)"), required=False, assume_scheme="https")
    address = forms.CharField(label=_("Counter address"), required=False, max_length=300)

    def __init__(self, *args, departments, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["service"].queryset = services
        self.helper = _helper(_("Publish the slots"), "publish")

    def plan(self) -> SlotPlan:
        data = self.cleaned_data
        return SlotPlan(first_day=data["first_day"], last_day=data["last_day"], opens=data["opens"],
                        closes=data["closes"], minutes=data["minutes"], capacity=data["capacity"], mode=data["mode"],
                        video_link=data["video_link"] if data["mode"] == AppointmentMode.ONLINE else "",
                        address=data["address"] if data["mode"] == AppointmentMode.COUNTER else "")


class AdviceAnswerForm(forms.Form):
    text = forms.CharField(label=_("Your department's advice"), max_length=ANSWER_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Send the advice"), "answer")
