"""Answers against a frozen schema: one set of rules for the web form, the API and the engine.

Each schema field becomes a Django form field; cleaned values are stored as JSON (dates as ISO
strings, decimals as strings). File fields are not answers: they are attachments, checked by
``approvals.uploads``."""

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from catalogue.registers import key_normalized, key_valid
from catalogue.schema import Schema, date_bound
from core.i18n import translated

from .applicable import applied_to
from .sla import local_today


def _choices(spec):
    return [(c["value"], translated(c["label"])) for c in spec.get("choices", [])]


PHONE_PATTERN = r"^\+?[0-9][0-9 ()-]{4,30}$"


def field_name(spec: dict) -> str:
    """How a message names a question: "the business name" (the label, lower case unless it
    starts with an abbreviation, after "the" unless it starts with "the" or "your"); in Chinese
    the label as it is."""
    label = translated(spec.get("label")) or spec["key"].replace("_", " ")
    if label[:1].isupper() and not label[1:2].isupper():
        label = label[:1].lower() + label[1:]
    if label.split(" ", 1)[0] in ("the", "your", "a", "an"):
        return label
    return pgettext("a question named in a message", "the %(label)s") % {"label": label}


def _list(items: list[str]) -> str:
    """"PDF, PNG or JPEG"."""
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s or %(last)s") % {"items": pgettext("list separator", ", ").join(items[:-1]), "last": items[-1]}


# The format dates are typed and shown in on the form, by the page's language: the one the hint
# shows first; the others are accepted as well (ISO everywhere, as the API sends it).
DATE_FORMATS = {
    "en": {"pattern": "DD/MM/YYYY", "shown": "%d/%m/%Y",
           "accepted": ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y"]},
    "zh-hans": {"pattern": "YYYY-MM-DD", "shown": "%Y-%m-%d",
                "accepted": ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]},
}
DATE_EXAMPLE = date(2026, 3, 27)  # a day above 12 shows which number is the day


def date_format() -> dict:
    return DATE_FORMATS.get(translation.get_language() or "en", DATE_FORMATS["en"])


def date_hint() -> str:
    """What a date question's hint says: the format of the page's language, with an example."""
    fmt = date_format()
    return _("Type the date as %(pattern)s, for example %(example)s.") % {
        "pattern": fmt["pattern"], "example": DATE_EXAMPLE.strftime(fmt["shown"])}


def long_date(day: date) -> str:
    """A day in a message, in the format every page shows dates in: "6 Dec 2026", "2026年12月6日"."""
    return formats.date_format(day)


def _messages(spec: dict) -> dict:
    """Every message of one question, each saying what to enter and naming the question. Those
    Django fills in later (range, length, a value posted) have any % of the name doubled."""
    kind, name = spec["kind"], field_name(spec)
    safe = {"name": name.replace("%", "%%")}
    low, high = spec.get("min"), spec.get("max")
    messages = {"required": _("Enter %(name)s.") % {"name": name}}
    if kind in ("text", "textarea", "phone", "email"):
        messages["max_length"] = _("Enter %(name)s in %(max)s characters or fewer.") % {
            **safe, "max": spec.get("max_length", 254)}
    if kind in ("integer", "decimal"):
        if kind == "integer":
            messages["invalid"] = _("Enter %(name)s as a whole number, for example 12.") % {"name": name}
        else:
            messages["invalid"] = _("Enter %(name)s as a number, for example 12.5.") % {"name": name}
        if low is not None and high is not None:
            messages["min_value"] = messages["max_value"] = _("Enter %(name)s between %(min)s and %(max)s.") % {
                **safe, "min": low, "max": high}
        else:
            messages["min_value"] = _("Enter %(name)s of %(min)s or more.") % {**safe, "min": low}
            messages["max_value"] = _("Enter %(name)s of %(max)s or less.") % {**safe, "max": high}
        messages["max_decimal_places"] = messages["max_digits"] = messages["max_whole_digits"] = _(
            "Enter %(name)s with at most 4 decimal places and 14 digits before the point.") % safe
    if kind == "date":
        messages["invalid"] = _("Enter %(name)s as a real date, for example %(example)s.") % {
            "name": name, "example": DATE_EXAMPLE.strftime(date_format()["shown"])}
    if kind == "email":
        messages["invalid"] = _("Enter %(name)s as an email address, for example name@example.com.") % safe
    if kind == "phone":
        messages["invalid"] = _("Enter %(name)s as a phone number in digits, for example 010 1234 5678 or "
                                "+86 10 1234 5678.") % safe
    if spec.get("format") == "uscc":
        messages["invalid"] = _("Enter %(name)s as on the business licence: 18 characters, the last one a check "
                                "character. Check it for a typing mistake.") % {"name": name}
    elif spec.get("format") == "ric":
        messages["invalid"] = _("Enter %(name)s as on the identity card: 18 characters, the last one a check digit "
                                "(0 to 9 or X). Check it for a typing mistake.") % {"name": name}
    elif spec.get("format") == "address_code":
        messages["invalid"] = _("Enter %(name)s as its 16 digits, as on the house number certificate.") % {
            "name": name}
    if kind in ("choice", "multichoice", "boolean"):
        if kind == "choice":
            text = _("Select %(name)s from the list.")
        elif kind == "multichoice":
            text = _("Select one or more options for %(name)s.")
        else:
            text, name = _("Select yes or no for “%(name)s”."), translated(spec.get("label")) or spec["key"]
        # "invalid_choice" is filled in later with the value posted, the others are not.
        messages["required"] = messages["invalid_list"] = text % {"name": name}
        messages["invalid_choice"] = text % {"name": name.replace("%", "%%")}
    return messages


FILE_TYPE_NAMES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
DEFAULT_FILE_MAX_MB = 10


def file_types(spec: dict) -> str:
    """The kinds of file a file question accepts, in words: "PDF, PNG or JPEG"."""
    return _list([FILE_TYPE_NAMES[t] for t in (spec.get("accept") or FILE_TYPE_NAMES) if t in FILE_TYPE_NAMES])


def file_max_mb(spec: dict):
    return spec.get("max_size_mb") or DEFAULT_FILE_MAX_MB


def file_messages(spec: dict) -> dict:
    """The messages of a file question, by problem."""
    name = field_name(spec)
    return {
        "required": _("Upload %(name)s.") % {"name": name},
        "type": _("Upload %(name)s as a %(types)s file.") % {"name": name, "types": file_types(spec)},
        "size": _("Upload %(name)s as a file of %(mb)s MB or less.") % {"name": name, "mb": file_max_mb(spec)},
        "empty": _("The file you chose is empty. Upload %(name)s again.") % {"name": name},
    }


def form_field(spec: dict, *, required: bool | None = None) -> forms.Field:
    """The Django form field for one schema field (never for kind 'file')."""
    kind = spec["kind"]
    common = {
        "label": translated(spec.get("label")) or spec["key"],
        "help_text": translated(spec.get("help")),
        "required": spec.get("required", False) if required is None else required,
        "error_messages": _messages(spec),
    }
    if kind == "text" and spec.get("format"):
        return KeyField(spec["format"], max_length=spec.get("max_length"), **common)
    if kind in ("text", "textarea", "phone"):
        field = forms.CharField(
            max_length=spec.get("max_length"), widget=forms.Textarea(attrs={"rows": 4}) if kind == "textarea" else None,
            **common,
        )
        if kind == "phone":
            field.validators.append(RegexValidator(PHONE_PATTERN, common["error_messages"]["invalid"]))
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
        fmt = date_format()
        common["help_text"] = " ".join(filter(None, [common["help_text"], date_hint()]))
        field = forms.DateField(input_formats=fmt["accepted"], widget=forms.DateInput(
            format=fmt["shown"], attrs={"autocomplete": "off", "spellcheck": "false"}), **common)
        field.validators.append(_DateRules(spec))
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


class KeyField(forms.CharField):
    """A code a register is looked up by (catalogue.registers.KEY_FORMATS): kept without spaces and
    in capitals, and refused unless well formed, its check character or digit included."""

    def __init__(self, key_format: str, **kwargs):
        self.key_format = key_format
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return key_normalized(self.key_format, value) if value else value

    def validate(self, value):
        super().validate(value)
        if value and not key_valid(self.key_format, value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")


class _DateRules:
    """A date question's ``min`` and ``max``, fixed days or days relative to today (see
    catalogue.schema), worked out when an answer is checked, in the portal's time zone."""

    def __init__(self, spec: dict):
        self.spec, self.low, self.high = spec, spec.get("min"), spec.get("max")

    def __call__(self, value):
        if value is None:
            return
        today = local_today()
        name = field_name(self.spec)
        if self.low and value < (low := date_bound(self.low, today)):
            raise ValidationError(_("Enter %(name)s as a date on or after %(date)s.") % {
                "name": name, "date": long_date(low)}, code="min_value")
        if self.high and value > (high := date_bound(self.high, today)):
            raise ValidationError(_("Enter %(name)s as a date on or before %(date)s.") % {
                "name": name, "date": long_date(high)}, code="max_value")


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
    if spec["kind"] == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)  # shown in the page's format
        except ValueError:
            return value
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
    """Full validation for submitting: every question asked (approvals.applicable) against its
    rules (required ones present), and a file for every required file question asked
    (``attachment_keys``: the questions a file or a certificate answers). Returns (cleaned
    answers, {key: [messages]}): the answers of questions not asked are neither checked nor kept."""
    asked = set(applied_to(schema, answers, attachment_keys).asked)
    cleaned, errors = clean_answers(schema, answers, keys=asked)
    for spec in schema.fields:
        if (spec["kind"] == "file" and spec.get("required") and spec["key"] in asked
                and spec["key"] not in attachment_keys):
            errors[spec["key"]] = [file_messages(spec)["required"]]
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


def answer_sections(schema: Schema, answers: dict, attachments=(), errors: dict | None = None,
                    certificates: dict | None = None) -> list[dict]:
    """The answers of the questions asked grouped like the form's pages, for summaries (check
    your answers, the application page, the receipt): [{"title", "step", "rows": [{"spec",
    "value", "files", "certificate", "errors"}]}], a page none of whose questions is asked left
    out (``step`` stays the page's number in the form); ``certificates``: the certificate
    answering a document question, by question (approvals.evidence)."""
    errors, certificates = errors or {}, certificates or {}
    files: dict[str, list] = {}
    for attachment in attachments:
        files.setdefault(attachment.field_key, []).append(attachment)
    asked = set(applied_to(schema, answers, set(files) | set(certificates)).asked)
    sections = [
        {"title": title, "step": step, "rows": [
            {"spec": spec, "value": answers.get(spec["key"]), "files": files.get(spec["key"], []),
             "certificate": certificates.get(spec["key"]), "errors": errors.get(spec["key"], [])}
            for spec in specs if spec["key"] in asked
        ]}
        for step, (title, specs) in enumerate(schema.sections(), start=1)
    ]
    return [section for section in sections if section["rows"]]


def asked_keys(schema: Schema, answers: dict, document_keys=(), *, asks=None) -> list[str]:
    """The questions asked given the answers so far, in form order. A renewal or an amendment
    (``asks``: the questions it asks again, approvals.follow_ons.asked_again) asks those and any
    required question its carried answers leave unanswered (one the current form added, or a
    carried answer it no longer accepts)."""
    asked = applied_to(schema, answers, document_keys).asked
    if asks is None:
        return list(asked)
    return [key for key in asked if key in asks
            or (schema.fields_by_key[key]["required"] and key not in answers and key not in document_keys)]


def asked_pages(schema: Schema, answers: dict, document_keys=(), *,
                asks=None) -> list[tuple[int, str, list[dict]]]:
    """The form's pages that ask something, given the answers so far: (page number in the form,
    title, the questions asked on it). A page reads earlier pages only, so the list is right up
    to the page being filled in. ``asks``: as for asked_keys."""
    asked = set(asked_keys(schema, answers, document_keys, asks=asks))
    pages = []
    for step, (title, specs) in enumerate(schema.sections(), start=1):
        if shown := [spec for spec in specs if spec["key"] in asked]:
            pages.append((step, title, shown))
    return pages


def summary_errors(sections: list[dict]) -> list[tuple[dict, dict, str]]:
    """Each problem of a summary's rows (answer_sections' shape) as (section, row, message), in
    page order: the error summary at the top of "check your answers" links each to its row."""
    return [(section, row, message) for section in sections for row in section["rows"] for message in row["errors"]]


def section_of(schema: Schema, key: str) -> int | None:
    """The form page (1-based) that asks the question ``key``."""
    for step, (_title, specs) in enumerate(schema.sections(), start=1):
        if any(spec["key"] == key for spec in specs):
            return step
    return None
