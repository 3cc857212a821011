"""First answers of a new draft: what the portal already knows about the citizen.

Three sources, for field keys of the new service's form (files never):

1. The citizen's profile (asked once, reused everywhere). ``PROFILE_FIELDS`` is the one place
   that says which profile attribute answers which field of the shared dictionary; a mapping
   exists only where the meanings match exactly. The profile's home address is *not* the
   business site (``site_address``), and no form asks for the identity document number, so
   neither is mapped.
2. The answers handed over from the permit finder (``given``: posted as ``given-<key>``), which
   the citizen gave just before starting; checked like every other.
3. The citizen's latest earlier submitted application (of any service: a key means the same in
   every service), withdrawn ones excepted.

The profile wins over the others for the keys it maps: it is where the citizen keeps those
details current; the finder's answers, just given, win over the earlier application. Every
value is checked against the new schema like a draft page would; a value that no longer fits (a
choice since removed, a changed limit) is left out rather than blocking the start. Prefilled
answers are ordinary draft answers: the citizen sees and can change all of them."""

from catalogue.schema import Schema

from .answers import clean_answers
from .models import Application, ApplicationStatus

# Field key → attribute of the citizen (accounts.User).
PROFILE_FIELDS = {
    "legal_representative": "full_name",
    "contact_phone": "phone",
}


def profile_answers(applicant, schema: Schema) -> dict:
    return {
        key: value for key, attribute in PROFILE_FIELDS.items()
        if key in schema.fields_by_key and (value := (getattr(applicant, attribute, "") or "").strip())
    }


def previous_answers(applicant, schema: Schema) -> dict:
    latest = (
        Application.objects.filter(applicant=applicant, submitted_at__isnull=False)
        .exclude(status=ApplicationStatus.WITHDRAWN)
        .order_by("-submitted_at", "-pk").values_list("answers", flat=True).first()
    )
    return {k: v for k, v in (latest or {}).items() if k in schema.fields_by_key}


GIVEN_PREFIX = "given-"


def given_answers(data, schema: Schema) -> dict:
    """The answers posted as ``given-<key>`` (a QueryDict) for questions of the schema: several
    values for a several-of question, one for the others."""
    given = {}
    for spec in schema.fields:
        name = f"{GIVEN_PREFIX}{spec['key']}"
        if name in data:
            given[spec["key"]] = data.getlist(name) if spec["kind"] == "multichoice" else data.get(name)
    return given


def prefill_answers(*, applicant, service, given=None) -> dict:
    """Answers for a new draft of ``service`` by ``applicant``, valid against its current schema;
    ``given``: the posted form, which may hand over the finder's answers."""
    if service.current_version_id is None:
        return {}
    schema = Schema(service.current_version.schema)
    candidates = {**previous_answers(applicant, schema), **given_answers(given or {}, schema),
                  **profile_answers(applicant, schema)}
    candidates = {k: v for k, v in candidates.items() if k not in schema.file_keys and v not in (None, "", [])}
    if not candidates:
        return {}
    cleaned, _errors = clean_answers(schema, candidates, keys=set(candidates), partial=True)
    return cleaned
