"""The finder's questions as a GET form: each built by the combined form's own rule
(approvals.answers.form_field), so an answer is checked here exactly as the application will
check it; one-of questions are radios, several-of ones check boxes, each in a fieldset."""

from django import forms
from django.http import QueryDict

from approvals.answers import form_field, to_json

# Longer than any real set of answers to a few questions: anything longer is refused unread.
QUERY_MAX = 2000


class FinderForm(forms.Form):
    def __init__(self, data=None, *, questions: dict[str, dict]):
        super().__init__(data)
        self.specs = questions
        for key, spec in questions.items():
            field = form_field(spec, required=False)
            if spec["kind"] in ("choice", "boolean"):
                field.choices = [choice for choice in field.choices if choice[0] != ""]
                field.widget = forms.RadioSelect(choices=field.choices)
            field.widget.attrs["class"] = "form-check-input" if self.grouped(spec) else "form-control"
            self.fields[key] = field

    @staticmethod
    def grouped(spec: dict) -> bool:
        """Whether a question is several inputs (a fieldset with a legend) or one (a label)."""
        return spec["kind"] in ("choice", "boolean", "multichoice")

    def rows(self) -> list[tuple]:
        """Each question's bound field, whether it is a group, and the id its error links to."""
        rows = []
        for name, spec in self.specs.items():
            field = self[name]
            if field.errors:
                field.field.widget.attrs["aria-invalid"] = "true"
            grouped = self.grouped(spec)
            rows.append((field, grouped, f"{field.auto_id}_0" if grouped else field.auto_id))
        return rows

    def answers(self) -> dict:
        """The valid answers given, as stored JSON (a form with errors gives none)."""
        return {key: to_json(value) for key, value in self.cleaned_data.items() if value not in (None, "", [])}


def answers_query(answers: dict, keys=None) -> str:
    """Answers as a link's query string (only ``keys``, when given), in the finder's order."""
    query = QueryDict(mutable=True)
    for key, value in answers.items():
        if keys is not None and key not in keys:
            continue
        if isinstance(value, bool):
            query[key] = "true" if value else "false"
        elif isinstance(value, list):
            query.setlist(key, [str(item) for item in value])
        else:
            query[key] = str(value)
    return query.urlencode()
