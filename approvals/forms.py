"""The combined form, built from an application's frozen schema, one section per page."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from catalogue.i18n import translated

from .answers import form_field, to_form_initial


class SchemaForm(forms.Form):
    """Questions ``specs`` of a schema; file questions become multiple-file uploads."""

    def __init__(self, *args, specs, answers=None, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        answers = answers or {}
        self.file_keys = []
        for spec in specs:
            key = spec["key"]
            if spec["kind"] == "file":
                self.file_keys.append(key)
                self.fields[key] = forms.FileField(
                    label=translated(spec.get("label")) or key, required=False,
                    help_text=translated(spec.get("help")),
                    widget=forms.ClearableFileInput(attrs={"accept": ",".join(spec.get("accept") or [])}),
                )
            else:
                # Required answers are enforced at submit time, so a draft page can be left half done.
                self.fields[key] = form_field(spec, required=False)
                self.fields[key].initial = to_form_initial(spec, answers.get(key))
                if spec.get("required"):
                    self.fields[key].widget.attrs["aria-required"] = "true"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        if submit_label:
            self.helper.add_input(Submit("continue", submit_label))

    def answer_data(self) -> dict:
        """The raw answers as posted (validation happens in the engine against the schema)."""
        return {k: self.data.getlist(k) if isinstance(self.fields[k], forms.MultipleChoiceField) else self.data.get(k, "")
                for k in self.fields if k not in self.file_keys}

    def uploads(self) -> list[tuple[str, object]]:
        return [(k, f) for k in self.file_keys for f in self.files.getlist(k)]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect,
        choices=[("approve", _("Approve")), ("reject", _("Reject")), ("correction", _("Ask the applicant to correct"))],
    )
    conditions = forms.CharField(label=_("Conditions (if approving)"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                 max_length=2000)
    reason = forms.CharField(label=_("Reason (required if rejecting)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    correction_fields = forms.MultipleChoiceField(label=_("What must be corrected"), required=False,
                                                  widget=forms.CheckboxSelectMultiple)
    message = forms.CharField(label=_("Message to the applicant (if asking for a correction)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, field_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["correction_fields"].choices = field_choices
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("decide", _("Record decision")))
