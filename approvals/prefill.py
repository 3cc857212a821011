"""First answers of a new draft: what the portal already knows about the citizen.

Two sources, for field keys of the new service's form (files never):

1. The citizen's profile (asked once, reused everywhere). ``PROFILE_FIELDS`` is the one place
   that says which profile attribute answers which field of the shared dictionary; a mapping
   exists only where the meanings match exactly. The profile's home address is *not* the
   business site (``site_address``), and no form asks for the identity document number, so
   neither is mapped.
2. The citizen's latest earlier submitted application (of any service: a key means the same in
   every service), withdrawn ones excepted.

The profile wins over the earlier application for the keys it maps: it is where the citizen
keeps those details current. Every value is checked against the new schema like a draft page
would; a value that no longer fits (a choice since removed, a changed limit) is left out rather
than blocking the start. Prefilled answers are ordinary draft answers: the citizen sees and can
change all of them."""

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


def prefill_answers(*, applicant, service) -> dict:
    """Answers for a new draft of ``service`` by ``applicant``, valid against its current schema."""
    if service.current_version_id is None:
        return {}
    schema = Schema(service.current_version.schema)
    candidates = {**previous_answers(applicant, schema), **profile_answers(applicant, schema)}
    candidates = {k: v for k, v in candidates.items() if k not in schema.file_keys and v not in (None, "", [])}
    if not candidates:
        return {}
    cleaned, _errors = clean_answers(schema, candidates, keys=set(candidates), partial=True)
    return cleaned
