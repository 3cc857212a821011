"""The front desk's writes: registering a walk-in citizen whose identity document the desk's officer
checked in person, printing a claim letter for them, and filing an application on a citizen's behalf
with their signed consent. Each is one transaction with its audit event, the desk's doing
(api.acting: the token's service account and label, never the citizen); the account writes
themselves are accounts.counter's."""

from datetime import UTC

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import counter
from accounts.models import Assurance
from approvals import workflow
from approvals.events import person_event
from approvals.uploads import DEFAULT_ACCEPT, check_upload
from audit.models import Action
from audit.services import audit_record

from .acting import token_actor
from .models import ApiFiling, ApiToken, FilingConsent

DEFAULT_CONSENT_MAX_MB = 3


@transaction.atomic
def walk_in_register(*, token: ApiToken, ip: str | None = None, **details) -> counter.WalkIn:
    """Register the citizen (accounts.counter.walk_in_register) and record who verified whom."""
    walk_in = counter.walk_in_register(desk=token.user, desk_name=token.name, **details)
    registration = walk_in.registration
    audit_record(person_event(Action.IDENTITY_VERIFIED, walk_in.user.pk, via=token_actor(token), ip=ip,
                              assurance=Assurance.IN_PERSON.value, document_type=registration.document_type,
                              officer_name=registration.officer_name,
                              officer_staff_number=registration.officer_staff_number,
                              claim_mailed=walk_in.claim_mailed, claim_letter=walk_in.letter is not None))
    return walk_in


@transaction.atomic
def claim_letter_print(*, token: ApiToken, user_id: int, ip: str | None = None) -> counter.ClaimLetter:
    """A new claim letter for a walk-in this desk registered; earlier letters stop working."""
    letter = counter.claim_letter_issue(desk=token.user, user_id=user_id)
    audit_record(person_event(Action.CLAIM_LETTER_PRINTED, user_id, via=token_actor(token), ip=ip))
    return letter


# --- Filing with consent -------------------------------------------------------------------------


def consent_max_mb() -> float:
    return float(getattr(settings, "COUNTER_CONSENT_MAX_MB", DEFAULT_CONSENT_MAX_MB))


def consent_document_check(name: str, content: bytes) -> tuple[SimpleUploadedFile, dict]:
    """The signed document as a file the portal keeps, with the checks of an applicant's upload
    (type by content, PDF, PNG or JPEG, at most COUNTER_CONSENT_MAX_MB); its errors name
    ``consent.document``."""
    spec = {"key": "consent.document", "kind": "file", "label": _("the signed consent"),
            "accept": list(DEFAULT_ACCEPT), "max_size_mb": consent_max_mb()}
    uploaded = SimpleUploadedFile(name or "consent", content)
    return uploaded, check_upload(spec, uploaded)


@transaction.atomic
def filing_create(*, token: ApiToken, applicant, service, answers: dict, consent: dict, ip: str | None = None):
    """A draft for ``applicant`` filed by the desk, kept with the citizen's consent (``consent``: the
    checked fields of api.serializers.ConsentSerializer). The document is checked before anything is
    written; the application's "started" audit event names the desk and the consent."""
    document = consent.get("document")
    uploaded, meta = consent_document_check(document["name"], document["content"]) if document else (None, {})
    # The document by its digest and size: its file name, the desk's, may name the citizen.
    record = {"method": consent["method"], "signed_at": consent["signed_at"].astimezone(UTC).isoformat(),
              "officer_name": consent["officer_name"], "officer_staff_number": consent["officer_staff_number"]}
    if meta:
        record["document_sha256"], record["document_size"] = meta["sha256"], meta["size"]
    if consent.get("document_reference"):
        record["document_reference"] = consent["document_reference"]
    application = workflow.application_start(applicant=applicant, service=service, answers=answers, ip=ip,
                                             via=token_actor(token), filing={"consent": record})
    filing = ApiFiling.objects.create(token=token, application=application)
    row = FilingConsent(filing=filing, method=consent["method"], signed_at=consent["signed_at"],
                        officer_name=consent["officer_name"], officer_staff_number=consent["officer_staff_number"],
                        document_reference=consent.get("document_reference", ""))
    if uploaded is not None:
        row.document_name, row.document_content_type = meta["original_name"], meta["content_type"]
        row.document_size, row.document_sha256 = meta["size"], meta["sha256"]
        row.document.save("consent", uploaded, save=False)
    row.save()
    return application


@transaction.atomic
def filing_follow_on(*, token: ApiToken, start, **kwargs):
    """A renewal or an amendment a front desk starts for the holder of a permit it filed for
    (``start``: the engine's permit_renew_start or permit_amend_start, given ``kwargs``): it is
    filed by the desk too, under the consent the original application was filed with (copied, so
    each filing keeps its own)."""
    follow_on = start(**kwargs)
    if ApiFiling.objects.filter(application=follow_on).exists():
        return follow_on  # the one in progress, already filed
    original = (FilingConsent.objects.filter(filing__token=token,
                                             filing__application_id=follow_on.follows.application_id).first())
    filing = ApiFiling.objects.create(token=token, application=follow_on)
    if original is not None:
        original.pk, original.filing, original.recorded_at = None, filing, timezone.now()
        original.save()
    return follow_on
