"""The complaint forms: about one of the citizen's applications, about a department or an
officer (signed in, or as a member of the public with an e-mail address), and the verdict on an
answer. The engine (approvals.complaints) checks the rest and names each problem."""

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.complaints import Grounds
from approvals.models import (
    COMPLAINT_OFFICER_NAME_MAX_LENGTH,
    COMPLAINT_REASON_MAX_LENGTH,
    COMPLAINT_TEXT_MAX_LENGTH,
    COMPLAINT_TEXT_MIN_LENGTH,
    ComplaintAbout,
    ComplaintCategory,
)
from core.forms import submit_helper


class _ComplaintText(forms.Form):
    category = forms.ChoiceField(label=_("What kind of complaint is it?"), choices=ComplaintCategory.choices,
                                 widget=forms.RadioSelect)
    text = forms.CharField(label=_("What happened?"), max_length=COMPLAINT_TEXT_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, departments: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department_id"] = forms.TypedChoiceField(
            label=self.department_label, coerce=int, choices=[("", _("Choose a department")), *departments])
        self.order_fields(["about", "department_id", "officer_name", "category", "text"])
        self.fields["text"].help_text = _("Between %(min)s and %(max)s characters: what happened, when, and what "
                                          "you expected.") % {"min": COMPLAINT_TEXT_MIN_LENGTH,
                                                               "max": COMPLAINT_TEXT_MAX_LENGTH}
        self.helper = submit_helper("complain", _("Send your complaint"))


class ApplicationComplaintForm(_ComplaintText):
    department_label = _("Which department's handling is your complaint about?")

    def grounds(self, application_id: int) -> Grounds:
        data = self.cleaned_data
        return Grounds(about=ComplaintAbout.APPLICATION, category=data["category"], text=data["text"],
                       department_id=data["department_id"], application_id=application_id)


class ComplaintForm(_ComplaintText):
    department_label = _("Which department is it about?")
    about = forms.ChoiceField(label=_("What is your complaint about?"), widget=forms.RadioSelect, choices=[
        (ComplaintAbout.DEPARTMENT, _("A department as a whole")),
        (ComplaintAbout.OFFICER, _("An officer's conduct")),
    ])
    officer_name = forms.CharField(label=_("The officer's name, if your complaint is about an officer"),
                                   required=False, max_length=COMPLAINT_OFFICER_NAME_MAX_LENGTH)

    def grounds(self) -> Grounds:
        data = self.cleaned_data
        return Grounds(about=data["about"], category=data["category"], text=data["text"],
                       department_id=data["department_id"], officer_name=data.get("officer_name", ""))


class PublicComplaintForm(ComplaintForm):
    name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=150)
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _("We send you a link to confirm your complaint; it is handled once you "
                                           "open it. Later mails bring the link to follow it.")
        self.order_fields(["name", "email", "about", "department_id", "officer_name", "category", "text"])


class VerdictForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=_("Are you satisfied with the answer?"), widget=forms.RadioSelect,
        coerce=lambda value: value == "yes", choices=[("yes", _("Yes: close my complaint")),
                                                      ("no", _("No"))])
    reason = forms.CharField(label=_("If not, why not?"), required=False, max_length=COMPLAINT_REASON_MAX_LENGTH,
                             widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, escalates: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = (
            _("Your complaint then goes to the supervising office, once; a named person there answers it.")
            if escalates else _("This is the supervising office's answer: your reason is recorded and the "
                                "complaint is closed."))
        self.helper = submit_helper("verdict", _("Send your verdict"))
