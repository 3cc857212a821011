"""The combined form, built from an application's frozen schema, one section per page."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.answers import file_max_mb, file_types, form_field, long_date, to_form_initial
from approvals.evidence import type_name, valid_until
from approvals.models import MESSAGE_MAX_LENGTH, RATING_COMMENT_MAX_LENGTH
from approvals.register_values import state_of_field
from core.i18n import translated


def file_rules(spec: dict) -> str:
    """What a file question accepts, in words: "PDF, PNG or JPEG, up to 10 MB."."""
    return _("%(types)s, up to %(mb)s MB.") % {"types": file_types(spec), "mb": file_max_mb(spec)}


def optional_label(label: str) -> str:
    """A question the citizen may leave empty says so after its label (required ones are not
    marked in words: most questions are required)."""
    return _("%(label)s (optional)") % {"label": label}


def certificate_label(certificate) -> str:
    """One of the citizen's certificates as a choice: "RP-2026-000042 · Golden Dragon Ltd · valid until 1 Jun 2027"."""
    end = valid_until(certificate)
    parts = [certificate.number, certificate.company_name or certificate.holder_name,
             _("valid until %(date)s") % {"date": long_date(end)} if end else _("no end date")]
    return " · ".join(str(p) for p in parts if p)


class HeldCertificateInput(forms.HiddenInput):
    """The one certificate held, sent back as it is. The page names it in words at id_<key>,
    where the error summary's links lead (a hidden input takes no focus)."""

    def id_for_label(self, id_):
        return id_.removesuffix("_chosen")


class SchemaForm(forms.Form):
    """Questions ``specs`` of a schema; file questions take one file per post (more can follow).
    A question taken from a register (``register_states``, approvals.register_values) is no input
    while the register's value stands or the citizen's agreement is awaited: it is shown, read-only,
    with its source (``register_rows``). A document question a certificate answers (``offers``:
    approvals.evidence.Offer by question) asks for no file while the citizen holds a valid one: it
    names the one used (a hidden input), or lets them pick among several; the engine checks what
    is sent."""

    def __init__(self, *args, specs, answers=None, submit_label=None, register_states=(), offers=None, **kwargs):
        super().__init__(*args, **kwargs)
        answers = answers or {}
        self.offers = offers or {}
        self.file_keys = []
        self.specs = list(specs)
        self.register_rows = {}
        noticed = set()
        self.certificate_keys = [spec["key"] for spec in specs if spec["kind"] == "file" and spec.get("certificate")]
        # What was posted for each certificate question, for the engine to check; the page is
        # drawn again with one of the citizen's valid certificates, never with what it refused.
        self.posted_certificates = {k: self.data.get(k) or None for k in self.certificate_keys}
        for spec in specs:
            key = spec["key"]
            state = state_of_field(register_states, key)
            if state is not None:
                row = self._register_row(spec, state, first=state.group.register not in noticed)
                noticed.add(state.group.register)
                self.register_rows[key] = row
                if row["value"] is not None or state.asks_consent:
                    continue
            if key in self.certificate_keys and self.offers.get(key) and self.offers[key].held:
                self.fields[key] = self._certificate_field(spec, self.offers[key])
                if self.is_bound and self.data.get(key) not in {str(c.pk) for c in self.offers[key].held}:
                    self.data = self.data.copy()
                    self.data[key] = str(self.offers[key].selected.pk)
            elif spec["kind"] == "file":
                self.file_keys.append(key)
                self.fields[key] = forms.FileField(
                    label=translated(spec.get("label")) or key, required=False,
                    help_text=" ".join(filter(None, [translated(spec.get("help")), file_rules(spec)])),
                    widget=forms.FileInput(attrs={"accept": ",".join(spec.get("accept") or [])}),
                )
            else:
                # Required answers are enforced at submit time, so a draft page can be left half done.
                self.fields[key] = form_field(spec, required=False)
                self.fields[key].initial = to_form_initial(spec, answers.get(key))
            if spec.get("required") and not isinstance(self.fields[key].widget, HeldCertificateInput):
                self.fields[key].widget.attrs["aria-required"] = "true"
            else:
                self.fields[key].label = optional_label(self.fields[key].label)
        self.date_keys = [spec["key"] for spec in specs if spec["kind"] == "date"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        if submit_label:
            self.helper.add_input(Submit("continue", submit_label))

    @staticmethod
    def _register_row(spec: dict, state, *, first: bool) -> dict:
        """What the page shows of a question taken from a register: the register's value (None:
        the citizen types it), the group's notice and agreement question on its first question."""
        return {
            "spec": spec, "register": state.group.register, "register_name": state.group.display_name,
            "value": state.register_value(spec), "looked_up_at": state.lookup.looked_up_at if state.found else None,
            "reported": state.reported(spec), "first": first, "asks_consent": state.asks_consent and first,
            "waiting": state.asks_consent, "notice": state.message if first and not state.found else "",
            "retry": state.retryable and first,
        }

    def _certificate_field(self, spec: dict, offer) -> forms.Field:
        """The certificate answering a document question: named when the citizen holds one,
        picked when several (any value posted reaches the engine, which checks it)."""
        held = offer.held
        if len(held) == 1:
            widget = HeldCertificateInput(attrs={"id": f"id_{spec['key']}_chosen"})
        else:
            widget = forms.RadioSelect(choices=[(str(c.pk), certificate_label(c)) for c in held])
        field = forms.CharField(
            label=_("Which %(type)s should we use?") % {"type": type_name(spec)}, required=False,
            widget=widget, help_text=_("We use it instead of an upload: the departments see it as verified evidence."),
        )
        field.initial = str(offer.selected.pk)
        return field

    def rows(self, attachments=(), issuers=None) -> list[dict]:
        """Each question in order: a bound field with the files already attached to it (file
        questions only), or a question taken from a register shown read-only (``register``); for a
        document question a certificate answers, what the citizen holds (``offer``) and the
        services issuing it (``issuers``: key → services). A date question is laid out by the
        template (its hint under the label), with its input here."""
        files: dict[str, list] = {}
        for attachment in attachments:
            files.setdefault(attachment.field_key, []).append(attachment)
        issuers = issuers or {}
        rows = []
        for spec in self.specs:
            name = spec["key"]
            if name not in self.fields:
                rows.append({"field": None, "register": self.register_rows[name]})
                continue
            certificate = name in self.certificate_keys
            rows.append({"field": self[name], "is_file": name in self.file_keys, "attachments": files.get(name, []),
                         "date_input": self._date_input(name) if name in self.date_keys else None,
                         "register": self.register_rows.get(name),
                         "offer": self.offers.get(name) if certificate else None,
                         "held": certificate and name not in self.file_keys,
                         "issuers": issuers.get(name, []) if certificate else []})
        return rows

    def _date_input(self, name: str) -> str:
        field = self[name]
        described = [f"{field.auto_id}_helptext"] + [f"error_{n}_{field.auto_id}" for n in range(1, len(field.errors) + 1)]
        return field.as_widget(attrs={
            "class": "form-control date-input" + (" is-invalid" if field.errors else ""),
            "aria-describedby": " ".join(described),
        })

    def answer_data(self) -> dict:
        """The raw answers as posted (validation happens in the engine against the schema)."""
        return {k: self.data.getlist(k) if isinstance(self.fields[k], forms.MultipleChoiceField) else self.data.get(k, "")
                for k in self.fields if k not in self.file_keys and k not in self.certificate_keys}

    def certificate_choices(self) -> dict:
        """The certificate chosen for each document question a certificate answers, as posted
        (None: none was, the citizen holding none, so a file answers it). A choice posted from a
        page drawn before the certificate lapsed still reaches the engine, which says so."""
        return dict(self.posted_certificates)

    def uploads(self) -> list[tuple[str, object]]:
        return [(k, f) for k in self.file_keys for f in self.files.getlist(k)]


class MessageForm(forms.Form):
    """The applicant's message to one of the departments reviewing the application."""

    department = forms.TypedChoiceField(label=_("Department"), coerce=int, empty_value=None)
    body = forms.CharField(label=_("Your message"), max_length=MESSAGE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("send", _("Send message")))
        self.fields["department"].choices = (
            departments if len(departments) == 1 else [("", _("Choose a department")), *departments]
        )
        self.fields["body"].help_text = _("Up to %(max)s characters. The department answers here and by email.") % {
            "max": MESSAGE_MAX_LENGTH}
        if len(departments) == 1:
            self.fields["department"].initial = departments[0][0]


RATING_CHOICES = [
    (5, _("5 – Very satisfied")),
    (4, _("4 – Satisfied")),
    (3, _("3 – Neither satisfied nor dissatisfied")),
    (2, _("2 – Dissatisfied")),
    (1, _("1 – Very dissatisfied")),
]


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with this service?"), choices=RATING_CHOICES, coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=RATING_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].help_text = _("Up to %(max)s characters.") % {"max": RATING_COMMENT_MAX_LENGTH}
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("rate", _("Send your rating")))
