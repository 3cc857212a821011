"""Forms of the department queue: the filters (a GET form) and the supervisor's assignments."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from approvals.assignment import BULK_MAX

from .selectors import QUEUE_TABS, SEARCH_MAX_LENGTH


class QueueFilterForm(forms.Form):
    tab = forms.ChoiceField(choices=[(t, t) for t in QUEUE_TABS], required=False, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Reference, applicant or business name"), required=False, max_length=SEARCH_MAX_LENGTH,
                        help_text=_("A reference or its end (A-2026-000123, 2026-000123, 123), or part of the "
                                    "applicant's or the business name. A search of one or two characters (李, 王芳) "
                                    "finds whole words of a name."))
    department = forms.TypedChoiceField(label=_("Department"), coerce=int, empty_value=None, required=False)
    service = forms.TypedChoiceField(label=_("Service"), coerce=int, empty_value=None, required=False)
    stage = forms.IntegerField(label=_("Stage"), min_value=1, max_value=99, required=False)
    due_soon = forms.BooleanField(label=_("Due within 2 working days"), required=False)
    overdue = forms.BooleanField(label=_("Overdue (yellow or red card)"), required=False)

    def __init__(self, data, *, departments, services):
        super().__init__(data)
        self.fields["department"].choices = [("", _("All my departments"))] + [(d.pk, d.display_name) for d in departments]
        self.fields["service"].choices = [("", _("All services"))] + [(s.pk, s.display_name) for s in services]
        self.columns = ["q", "service", "stage"]
        if len(departments) > 1:
            self.columns.insert(1, "department")
        else:
            del self.fields["department"]
        # Rendered by templates/departments/includes/queue_filters.html, not crispy: it is on every
        # queue page, and crispy's layout took 4.4 ms of it at a million reviews (a template, 1.6).
        for field in self.fields.values():
            if field.widget.is_hidden:
                continue
            css = {forms.Select: "form-select", forms.CheckboxInput: "form-check-input"}.get(type(field.widget))
            field.widget.attrs["class"] = css or "form-control"

    def row_fields(self):
        return [self[name] for name in self.columns]

    def check_fields(self):
        return [self["due_soon"], self["overdue"]]

    def usable(self) -> dict:
        """The values that passed validation; an invalid one counts as not given (and is marked)."""
        self.is_valid()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
        return {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}


class AssignForm(forms.Form):
    """The officer is checked by the assignment service: a member of the review's department."""

    assignee = forms.IntegerField(label=_("Officer"), min_value=1,
                                  error_messages={"required": _("Choose an officer.")})


class ReviewIdsField(forms.Field):
    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("Select reviews from the list."),
        "too_many": _("Select at most %(max)d reviews at a time."),
    }

    def to_python(self, value):
        if not value:
            return []
        try:
            ids = list(dict.fromkeys(int(v) for v in value))
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if len(ids) > BULK_MAX:
            raise ValidationError(self.error_messages["too_many"], code="too_many", params={"max": BULK_MAX})
        return ids


class BulkAssignForm(AssignForm):
    review = ReviewIdsField(label=_("Reviews"), error_messages={"required": _("Select at least one review.")})
