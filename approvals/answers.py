"""Answers against a frozen schema: one set of rules for the web form, the API and the engine.

Each schema field becomes a Django form field; cleaned values are stored as JSON (dates as ISO
strings, decimals as strings). File fields are not answers: they are attachments, checked by
``approvals.uploads``."""

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from catalogue.i18n import translated
from catalogue.schema import Schema

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()-]{4,30}$", _("Enter a phone number, digits only, optionally starting with +.")
)


def _choices(spec):
    return [(c["value"], translated(c["label"])) for c in spec.get("choices", [])]


def form_field(spec: dict, *, required: bool | None = None) -> forms.Field:
    """The Django form field for one schema field (never for kind 'file')."""
    kind = spec["kind"]
    common = {
        "label": translated(spec.get("label")) or spec["key"],
        "help_text": translated(spec.get("help")),
        "required": spec.get("required", False) if required is None else required,
    }
    if kind in ("text", "textarea", "phone"):
        field = forms.CharField(
            max_length=spec.get("max_length"), widget=forms.Textarea(attrs={"rows": 4}) if kind == "textarea" else None,
            **common,
        )
        if kind == "phone":
            field.validators.append(phone_validator)
        return field
    if kind == "email":
        return forms.EmailField(max_length=spec.get("max_length", 254), **common)
    if kind == "integer":
        return forms.IntegerField(min_value=spec.get("min"), max_value=spec.get("max"), **common)
    if kind == "decimal":
        return forms.DecimalField(
            min_value=Decimal(str(spec["min"])) if spec.get("min") is not None else None,
            max_value=Decimal(str(spec["max"])) if spec.get("max") is not None else None,
            max_digits=18, decimal_places=4, **common,
        )
    if kind == "date":
        field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        if spec.get("min"):
            low = date.fromisoformat(str(spec["min"]))
            field.validators.append(_date_bound(low, lambda v, b: v >= b, _("The date must be on or after %(bound)s.")))
        if spec.get("max"):
            high = date.fromisoformat(str(spec["max"]))
            field.validators.append(_date_bound(high, lambda v, b: v <= b, _("The date must be on or before %(bound)s.")))
        return field
    if kind == "choice":
        return forms.ChoiceField(choices=[("", "—")] + _choices(spec), **common)
    if kind == "multichoice":
        return forms.MultipleChoiceField(choices=_choices(spec), widget=forms.CheckboxSelectMultiple, **common)
    if kind == "boolean":
        # A required yes/no must be answered yes or no, not left blank.
        return forms.TypedChoiceField(
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))],
            coerce=lambda v: v == "true", empty_value=None, **common,
        )
    raise ValueError(f"no form field for kind {kind!r}")


def _date_bound(bound, ok, message):
    def validate(value):
        if value is not None and not ok(value, bound):
            raise ValidationError(message, params={"bound": bound.isoformat()})

    return validate


def to_json(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def to_form_initial(spec: dict, value):
    """A stored JSON answer as the initial value of its form field."""
    if value is None:
        return None
    if spec["kind"] == "boolean":
        return "true" if value else "false"
    return value


def _answer_fields(schema: Schema, partial: bool) -> dict[str, forms.Field]:
    """The form fields of a schema, built once per language and mode: a schema never changes,
    and submit validates every answer (cleaning does not change a field, so one can serve all)."""
    cache = schema.__dict__.setdefault("_answer_fields", {})
    key = (translation.get_language(), partial)
    if key not in cache:
        cache[key] = {
            spec["key"]: form_field(spec, required=False if partial else None)
            for spec in schema.fields if spec["kind"] != "file"
        }
    return cache[key]


def clean_answers(schema: Schema, data: dict, *, keys=None, partial: bool = False) -> tuple[dict, dict]:
    """Validate raw answers (strings from a form or JSON from the API) for ``keys`` (default:
    every non-file field). Returns (cleaned JSON answers, {key: [messages]}). With ``partial``
    a missing answer is not an error (drafts)."""
    cleaned, errors = {}, {}
    fields = _answer_fields(schema, partial)
    for spec in schema.fields:
        key = spec["key"]
        if spec["kind"] == "file" or (keys is not None and key not in keys):
            continue
        field = fields[key]
        raw = data.get(key)
        if isinstance(raw, bool) and spec["kind"] == "boolean":
            raw = "true" if raw else "false"
        elif isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
            raw = str(raw)
        try:
            value = field.clean(raw)
        except ValidationError as exc:
            errors[key] = list(exc.messages)
            continue
        if value not in (None, "", []):
            cleaned[key] = to_json(value)
    return cleaned, errors


def complete_answers(schema: Schema, answers: dict, attachment_keys) -> tuple[dict, dict]:
    """Full validation for submitting: every answer against its rules (required ones present),
    and a file for every required file question (``attachment_keys``: the questions that have
    one). Returns (cleaned answers, {key: [messages]})."""
    cleaned, errors = clean_answers(schema, answers)
    for spec in schema.fields:
        if spec["kind"] == "file" and spec.get("required") and spec["key"] not in attachment_keys:
            errors[spec["key"]] = [_("Attach this document.")]
    return cleaned, errors


def first_incomplete_step(schema: Schema, answers: dict, attachment_keys) -> int | None:
    """The first page of the form with a missing or invalid answer, or None when the draft is
    complete (resuming a draft opens that page, or "check your answers")."""
    _cleaned, errors = complete_answers(schema, answers, attachment_keys)
    for step, (_title, specs) in enumerate(schema.sections(), start=1):
        if any(spec["key"] in errors for spec in specs):
            return step
    return None


def unknown_keys(schema: Schema, data: dict) -> list[str]:
    return sorted(set(data) - set(schema.fields_by_key))


def answer_sections(schema: Schema, answers: dict, attachments=(), errors: dict | None = None) -> list[dict]:
    """The answers grouped like the form's pages, for summaries (check your answers, the
    application page, the receipt): [{"title", "step", "rows": [{"spec", "value", "files", "errors"}]}]."""
    errors = errors or {}
    files: dict[str, list] = {}
    for attachment in attachments:
        files.setdefault(attachment.field_key, []).append(attachment)
    return [
        {"title": title, "step": step, "rows": [
            {"spec": spec, "value": answers.get(spec["key"]), "files": files.get(spec["key"], []),
             "errors": errors.get(spec["key"], [])}
            for spec in specs
        ]}
        for step, (title, specs) in enumerate(schema.sections(), start=1)
    ]


def section_of(schema: Schema, key: str) -> int | None:
    """The form page (1-based) that asks the question ``key``."""
    for step, (_title, specs) in enumerate(schema.sections(), start=1):
        if any(spec["key"] == key for spec in specs):
            return step
    return None
