"""Forms of the review page besides the decision: internal notes, extensions, sharing."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.answers import file_types
from approvals.models import (
    NOTE_MAX_LENGTH,
    OPINION_FILE_MAX_MB,
    OPINION_MAX_FILES,
    OPINION_TEXT_MAX,
    SHARE_MAX_DAYS,
    SHARE_MIN_DAYS,
    OpinionVerdict,
)
from approvals.uploads import DEFAULT_ACCEPT


def _helper(label: str, name: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.add_input(Submit(name, label, css_class="btn-outline-primary"))
    return helper


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("New internal note"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only your department sees internal notes."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["id"] = "id_note_body"
        self.helper = _helper(_("Add note"), "add_note")


class ExtendForm(forms.Form):
    due_date = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason for the extension"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="extend", **kwargs)
        self.helper = _helper(_("Extend the due date"), "extend")


class ShareForm(forms.Form):
    department = forms.TypedChoiceField(label=_("Department to ask"), coerce=int)
    days = forms.IntegerField(
        label=_("Shared for (days)"), min_value=SHARE_MIN_DAYS, max_value=SHARE_MAX_DAYS, initial=7,
        help_text=_("Between %(min)s and %(max)s days.") % {"min": SHARE_MIN_DAYS, "max": SHARE_MAX_DAYS},
    )
    reason = forms.CharField(label=_("What would you like their opinion on?"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, prefix="share", **kwargs)
        self.fields["department"].choices = [("", _("Choose a department")), *departments]
        self.helper = _helper(_("Share for an opinion"), "share")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several files in one input. Each is checked by the engine (approvals.opinions), as a
    citizen's upload is, so this only collects them."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        return [f for f in (data if isinstance(data, list | tuple) else [data]) if f]


class OpinionForm(forms.Form):
    """The department asked answers a share; the engine checks the same rules again, and the files."""

    verdict = forms.ChoiceField(label=_("Your department's opinion"), choices=OpinionVerdict.choices,
                                widget=forms.RadioSelect)
    conditions = forms.CharField(label=_("Conditions"), max_length=OPINION_TEXT_MAX, required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}),
                                 help_text=_("Required when you agree with conditions."))
    reasons = forms.CharField(label=_("Reasons"), max_length=OPINION_TEXT_MAX, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Required when you disagree."))
    comment = forms.CharField(label=_("Comment (optional)"), max_length=OPINION_TEXT_MAX, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    files = FilesField(label=_("Files (optional)"), required=False,
                       widget=MultipleFileInput(attrs={"accept": ",".join(DEFAULT_ACCEPT)}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="opinion", **kwargs)
        self.fields["files"].help_text = _(
            "For example a signed statement or a marked-up plan: up to %(n)s files, each %(types)s of %(mb)s MB or "
            "less. They are final with the opinion.") % {"n": OPINION_MAX_FILES, "types": file_types({}),
                                                          "mb": OPINION_FILE_MAX_MB}
        self.helper = _helper(_("Give the opinion (final)"), "give_opinion")
