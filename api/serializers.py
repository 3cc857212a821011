"""Request and response shapes. Validation of answers is the engine's (approvals.answers), the
same as the web form's; these only check the JSON's form."""

import base64
import binascii
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.counter import ClaimLetter, WalkIn
from accounts.models import Assurance, DocumentType
from approvals.answers import asked_keys
from approvals.applicable import application_not_needed, not_needed
from approvals.evidence import chosen_of
from approvals.follow_ons import asked_again, carried_document_keys
from approvals.models import ApplicationKind, ApplicationStatus, OpinionVerdict, ReviewStatus
from approvals.workflow import Decision
from catalogue.conditions import describe
from catalogue.guides import SPECIFICATIONS
from catalogue.schema import Schema
from catalogue.selectors import guide_for_page
from certificates.models import CertificateState
from core.i18n import translated
from permits.models import PermitState
from permits.services import REASON_MAX_LENGTH

from .models import ConsentMethod, WebhookEvent
from .webhook_targets import TargetRefused, check_url_form


class FieldErrors(serializers.DictField):
    child = serializers.ListField(child=serializers.CharField())


class ErrorBody(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = FieldErrors()


class ErrorSerializer(serializers.Serializer):
    error = ErrorBody()


def _text(value) -> str:
    return translated(value) if isinstance(value, dict) else str(value or "")


# --- Catalogue ---------------------------------------------------------------------------------


class CatalogueCertificateSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The certificate type's code.")
    name = serializers.CharField()
    issued_by = serializers.ListField(child=serializers.CharField(), help_text="Slugs of the services issuing it.")


class CatalogueFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()
    required = serializers.BooleanField()
    section = serializers.CharField(allow_blank=True)
    choices = serializers.ListField(child=serializers.DictField(), required=False)
    rules = serializers.DictField()
    certificate = CatalogueCertificateSerializer(required=False, help_text=(
        "A document a valid certificate of this type answers: a citizen holding one uploads nothing."))
    when = serializers.DictField(required=False, help_text=(
        "Present only for a question asked under a condition on answers of earlier pages (its section's and its "
        "own): {field_key: test}, {all: [...]}, {any: [...]}, {not: ...}; a test is a value (equals) or "
        "{eq|ne|gt|gte|lt|lte|in|contains|is_set: operand}. See docs/api.md."))
    when_text = serializers.CharField(required=False, help_text="The condition in words, in the request's language.")


class CatalogueReviewSerializer(serializers.Serializer):
    department = serializers.CharField()
    department_name = serializers.CharField()
    stage = serializers.IntegerField()
    time_limit_working_days = serializers.IntegerField()
    fields = serializers.ListField(child=serializers.CharField())
    when = serializers.DictField(required=False, help_text=(
        "Present only for a review made under a condition on the answers (the same language as a field's `when`)."))
    when_text = serializers.CharField(required=False, help_text="The condition in words, in the request's language.")
    not_needed = serializers.CharField(required=False, help_text=(
        "Present with `when` where the catalogue words why the review is not needed when the condition fails."))


class ServiceSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    life_event = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()


class CatalogueFilingSerializer(serializers.Serializer):
    """A body told of the service's approvals without reviewing them, and what it is told."""

    department = serializers.CharField()
    department_name = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
    identity = serializers.ListField(child=serializers.CharField())


class GuideLegalBasisSerializer(serializers.Serializer):
    title = serializers.CharField()
    link = serializers.CharField(allow_blank=True, help_text="A web address of the text, or empty.")


class GuideTemplateSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.CharField(help_text="Where the file downloads (an attachment), relative to the portal.")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class GuideMaterialSerializer(serializers.Serializer):
    name = serializers.CharField()
    specification = serializers.ChoiceField(choices=list(SPECIFICATIONS))
    copies = serializers.IntegerField()
    format = serializers.CharField(allow_blank=True)
    template = GuideTemplateSerializer(allow_null=True)


class GuideOfficeSerializer(serializers.Serializer):
    """A department involved, and where to go in person."""

    department = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField(allow_blank=True)
    opening_hours = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)


class GuideQuestionSerializer(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.CharField()


class ServiceGuideSerializer(serializers.Serializer):
    """The service guide (办事指南), in the request's language (English where a text is not yet
    written in it; ``missing`` names what is not yet published in it)."""

    legal_basis = GuideLegalBasisSerializer(many=True)
    who_may_apply = serializers.CharField(allow_blank=True)
    conditions = serializers.CharField(allow_blank=True)
    materials = GuideMaterialSerializer(many=True)
    fee = serializers.CharField(allow_blank=True)
    fee_terms = serializers.ListField(child=serializers.CharField(), help_text=(
        "The fee rule in words, one sentence each (empty: the portal charges no fee for the service)."))
    statutory_days = serializers.IntegerField(allow_null=True, help_text="Working days the law allows.")
    promised_days = serializers.IntegerField(help_text=(
        "Working days the portal promises: the guide's own figure, else the sum over the stages of each stage's "
        "longest review time limit."))
    offices = GuideOfficeSerializer(many=True)
    faq = GuideQuestionSerializer(many=True)
    missing = serializers.ListField(child=serializers.CharField())


class ServiceDetailSerializer(ServiceSummarySerializer):
    description = serializers.CharField(allow_blank=True)
    permit_title = serializers.CharField(allow_blank=True)
    permit_valid_days = serializers.IntegerField(allow_null=True)
    fields = CatalogueFieldSerializer(many=True)
    reviews = CatalogueReviewSerializer(many=True)
    filings = CatalogueFilingSerializer(many=True)
    guide = ServiceGuideSerializer()


RULE_KEYS = ("max_length", "min", "max", "accept", "max_size_mb", "max_files")


def service_summary(service) -> dict:
    return {"slug": service.slug, "name": _text(service.name), "life_event": _text(service.life_event),
            "version": service.current_version_id}


def _condition(entry: dict, fields_by_key: dict) -> dict:
    """A field's or a review's condition, as data and in words, when it has one."""
    if not entry.get("when"):
        return {}
    return {"when": entry["when"], "when_text": describe(entry["when"], fields_by_key)}


def service_detail(service) -> dict:
    schema = service.current_version.schema
    info = schema.get("service", {})
    service.schema = Schema(schema)
    fields_by_key = service.schema.fields_by_key
    return {
        **service_summary(service),
        "description": _text(service.description), "permit_title": _text(service.permit_title),
        "permit_valid_days": info.get("permit_valid_days"),
        "fields": [{
            "key": f["key"], "kind": f["kind"], "label": _text(f.get("label")) or f["key"],
            "required": bool(f.get("required")), "section": _text(f.get("section")),
            **({"choices": [{"value": c["value"], "label": _text(c.get("label"))} for c in f["choices"]]}
               if f.get("choices") else {}),
            "rules": {k: f[k] for k in RULE_KEYS if f.get(k) is not None},
            **({"certificate": {"type": f["certificate"]["type"], "name": _text(f["certificate"].get("name")),
                                "issued_by": list(f["certificate"].get("issued_by", []))}} if f.get("certificate") else {}),
            **_condition(f, fields_by_key),
        } for f in schema.get("fields", [])],
        "reviews": [{
            "department": r["department"], "department_name": _text(r.get("department_name")), "stage": r["stage"],
            "time_limit_working_days": r["sla_days"], "fields": list(r.get("fields", [])),
            **_condition(r, fields_by_key), **({"not_needed": _text(r["not_needed"])} if r.get("not_needed") else {}),
        } for r in schema.get("reviews", [])],
        "filings": [{
            "department": f["department"], "department_name": _text(f.get("department_name")),
            "fields": list(f.get("fields", [])), "identity": list(f.get("identity", [])),
        } for f in schema.get("filings", [])],
        "guide": service_guide(service),
    }


def service_guide(service) -> dict:
    """``service`` with its current ``schema`` attached (catalogue.selectors.service_for_page)."""
    page = guide_for_page(service)
    return {
        "legal_basis": [{"title": _text(item["title"]), "link": item.get("link", "")}
                        for item in page.guide.get("legal_basis", [])],
        "who_may_apply": _text(page.guide.get("who_may_apply")), "conditions": _text(page.guide.get("conditions")),
        "materials": [{
            "name": _text(item["name"]), "specification": item["specification"], "copies": item["copies"],
            "format": _text(item.get("format")),
            "template": {"name": item["file"].name, "content_type": item["file"].content_type,
                         "size": item["file"].size, "sha256": item["file"].sha256,
                         "url": reverse("service_guide_file", args=[service.slug, item["file"].name])}
            if item["file"] else None,
        } for item in page.materials],
        "fee": _text(service.fee), "fee_terms": page.fee_terms,
        "statutory_days": page.statutory_days, "promised_days": page.promised_days,
        "offices": [{"department": d.code, "name": _text(d.name), "address": _text(d.address),
                     "opening_hours": _text(d.opening_hours), "phone": d.phone} for d in page.departments],
        "faq": [{"question": _text(item["question"]), "answer": _text(item["answer"])}
                for item in page.guide.get("faq", [])],
        "missing": page.missing,
    }


class FeeQuoteRequestSerializer(serializers.Serializer):
    answers = serializers.DictField(help_text=(
        "Answers by field key, as the application form takes them; the fee reads the numbers and the "
        "answers its exemptions test. Questions the service does not ask are refused."))


class FeeQuoteItemSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = serializers.CharField(help_text="A decimal number as text, in the quote's currency.")
    units = serializers.CharField(required=False, help_text="Charged per unit: how many units.")
    unit_amount = serializers.CharField(required=False)


class FeeQuoteSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217.")
    items = FeeQuoteItemSerializer(many=True)
    total = serializers.CharField(help_text="A decimal number as text.")
    exemption = serializers.CharField(allow_null=True, help_text="Why nothing is charged, when an exemption applies.")
    payment = serializers.ChoiceField(choices=["before_review", "before_issue"],
                                      help_text="Whether reviews wait for the fee, or the permit does.")


def fee_quote_body(quote, mode: str) -> dict:
    return {
        "currency": quote.currency,
        "items": [{"label": _text(line.label), "amount": str(line.amount),
                   **({"units": str(line.units), "unit_amount": str(line.unit_amount)} if line.units is not None else {})}
                  for line in quote.lines],
        "total": str(quote.total), "exemption": _text(quote.exemption) if quote.exemption else None, "payment": mode,
    }


class PaymentNotificationSerializer(serializers.Serializer):
    """What the signed provider posts (payments.providers.SignedProvider)."""

    transaction_id = serializers.CharField(max_length=100)
    code = serializers.CharField(max_length=100, help_text="The payment code of the order paid.")
    amount = serializers.CharField(help_text='A decimal number as text, such as "300.00".')
    currency = serializers.CharField(help_text="ISO 4217.")
    paid_at = serializers.DateTimeField(help_text="ISO 8601, with its offset.")


class PaymentOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["recorded", "duplicate", "issue"], help_text=(
        "recorded: the order is paid; duplicate: this transaction was told before and counted then; issue: the "
        "money could not be applied and a person resolves it (do not send it again)."))
    problem = serializers.CharField(allow_null=True, help_text=(
        "With an issue: wrong_amount, unknown_code, paid_twice, cancelled_order or wrong_currency."))


class PermitValiditySerializer(serializers.Serializer):
    """By the number alone: only whether a permit with it is valid (numbers are sequential)."""

    number = serializers.CharField()
    valid = serializers.BooleanField()


class PermitVerificationSerializer(serializers.Serializer):
    """By the number and the verification code printed on the permit: its state and what it prints."""

    number = serializers.CharField()
    state = serializers.ChoiceField(choices=["valid", "expired", "revoked", "superseded", "pending"])
    holder = serializers.CharField()
    business_name = serializers.CharField(allow_blank=True)
    site_address = serializers.CharField(allow_blank=True)
    service = serializers.CharField()
    application = serializers.CharField(allow_blank=True)
    departments = serializers.ListField(child=serializers.CharField())
    issued_at = serializers.DateTimeField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    replaces = serializers.CharField(allow_null=True)
    replaced_by = serializers.CharField(allow_null=True)


# --- Department systems -------------------------------------------------------------------------


class OfApplicationSerializer(serializers.Serializer):
    """What names the application a department's review or filing is of."""

    id = serializers.IntegerField()
    application_id = serializers.IntegerField()
    reference = serializers.CharField(allow_null=True)
    service = serializers.CharField()


class ReviewSummarySerializer(OfApplicationSerializer):
    stage = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    due_date = serializers.DateField(allow_null=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


def review_summary(review) -> dict:
    return {"id": review.pk, "application_id": review.application_id, "reference": review.application.reference,
            "service": review.application.service.slug, "stage": review.stage, "status": review.status,
            "due_date": review.due_date, "version": review.version, "updated_at": review.updated_at}


class RegisterSourceSerializer(serializers.Serializer):
    """Where an answer taken from a register came from (docs/registers.md)."""

    register = serializers.CharField(help_text="The register's code: company, population or address.")
    attribute = serializers.CharField()
    verified = serializers.BooleanField(help_text="True: the register's value, kept by the applicant.")
    looked_up_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True, help_text="Why not verified (empty when verified): reported, "
                                   "refused, unavailable, not_found, mismatch, invalid_answer, no_key, typed, corrected.")


class AnswerSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    source = RegisterSourceSerializer(allow_null=True, help_text="Null unless the form takes this answer from a register.")


def register_source(value) -> dict | None:
    if value is None:
        return None
    return {"register": value.register, "attribute": value.attribute, "verified": value.verified,
            "looked_up_at": value.looked_up_at, "reason": value.reason}


class FileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Of the file as uploaded; the download is its disarmed copy.")
    sha256 = serializers.CharField(help_text="Of the file as uploaded.")
    download_url = serializers.CharField()


class AttachmentSerializer(FileSerializer):
    field_key = serializers.CharField()


def attachment_row(attachment, url: str) -> dict:
    return {"id": attachment.pk, "field_key": attachment.field_key, "name": attachment.original_name,
            "content_type": attachment.content_type, "size": attachment.size, "sha256": attachment.sha256,
            "download_url": url}


class ApplicantSerializer(serializers.Serializer):
    """The details of the applicant's identity the department's requirement lists, from its
    review's stage on; a detail not listed (or not given) is absent, and before the stage starts
    the object is empty."""

    full_name = serializers.CharField(required=False)
    email = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)
    id_number = serializers.CharField(required=False)


class OtherReviewSerializer(serializers.Serializer):
    department = serializers.CharField()
    stage = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)


class EvidenceSerializer(serializers.Serializer):
    """A certificate answering a document question instead of a file: what it is, whose, who
    issued it, and its state now (read live on every request; ``state_at_submit`` is what it was
    when the application, or the correction, was submitted with it)."""

    field_key = serializers.CharField()
    type = serializers.CharField(help_text="The certificate type's code.")
    type_name = serializers.CharField()
    number = serializers.CharField()
    holder_name = serializers.CharField()
    company_name = serializers.CharField(allow_blank=True)
    company_code = serializers.CharField(allow_blank=True)
    issuer = serializers.CharField(allow_null=True, help_text="The issuing department's code; null: this portal.")
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    state = serializers.ChoiceField(choices=CertificateState.choices)
    state_at_submit = serializers.CharField(allow_blank=True, help_text="Empty while a draft only chose it.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    verification_url = serializers.CharField(allow_null=True, help_text="A portal permit's public verification page.")


def evidence_row(row) -> dict:
    certificate = row.certificate
    permit = certificate.permit if certificate.permit_id else None
    return {
        "field_key": row.field_key, "type": certificate.type.code, "type_name": _text(certificate.type.name),
        "number": certificate.number, "holder_name": certificate.holder_name, "company_name": certificate.company_name,
        "company_code": certificate.company_code, "issuer": certificate.issuer.code if certificate.issuer_id else None,
        "valid_from": certificate.valid_from, "valid_until": permit.valid_until if permit else certificate.valid_until,
        "state": certificate.state(), "state_at_submit": row.state_at_submit, "submitted_at": row.submitted_at,
        "verification_url": reverse("permits:verify_code", args=[permit.number, permit.verify_code]) if permit else None,
    }


class ReviewDetailSerializer(ReviewSummarySerializer):
    department = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    assignee = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    conditions = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)
    correction_fields = serializers.ListField(child=serializers.CharField())
    correction_message = serializers.CharField(allow_blank=True)
    applicant = ApplicantSerializer()
    answers = AnswerSerializer(many=True)
    attachments = AttachmentSerializer(many=True)
    evidence = EvidenceSerializer(many=True, help_text="The certificates answering documents the department sees.")
    other_reviews = OtherReviewSerializer(many=True)


def need_to_know_data(view: dict) -> dict:
    """The applicant's details and the answers a need-to-know view holds (approvals.need_to_know)."""
    return {
        "applicant": {row.attribute: row.value for row in view["identity"]},
        "answers": [{"key": row["spec"]["key"], "label": _text(row["spec"].get("label")) or row["spec"]["key"],
                     "kind": row["spec"]["kind"], "value": row["value"], "source": register_source(row.get("source"))}
                    for row in view["rows"]],
    }


def review_detail(review, view: dict) -> dict:
    application = review.application
    return {
        **review_summary(review),
        "department": review.department.code, "submitted_at": application.submitted_at,
        "assignee": review.assignee.full_name if review.assignee_id else None, "decided_at": review.decided_at,
        "conditions": review.conditions, "reason": review.reason, "correction_fields": list(review.correction_fields),
        "correction_message": review.correction_message,
        **need_to_know_data(view),
        "attachments": [
            attachment_row(f, reverse("api:review-attachment", args=[review.pk, f.pk]))
            for row in view["rows"] for f in row["files"]
        ],
        "evidence": [evidence_row(row["evidence"]) for row in view["rows"] if row.get("evidence")],
        "other_reviews": [{"department": r.department.code, "stage": r.stage, "status": r.status}
                          for r in view["other_reviews"]],
    }


class OpinionSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=OpinionVerdict.choices)
    conditions = serializers.CharField(allow_blank=True, help_text="Stated when the verdict is agree_with_conditions.")
    reasons = serializers.CharField(allow_blank=True, help_text="Stated when the verdict is disagree.")
    comment = serializers.CharField(allow_blank=True)
    given_at = serializers.DateTimeField()
    given_by = serializers.CharField()
    files = FileSerializer(many=True)


class AskedOpinionSerializer(serializers.Serializer):
    """One department the review's department asked for an opinion (a share of the application),
    and its opinion once given (final)."""

    id = serializers.IntegerField()
    department = serializers.CharField()
    department_name = serializers.CharField()
    reason = serializers.CharField()
    shared_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=["active", "revoked", "expired"])
    opinion_due = serializers.DateField(allow_null=True)
    opinion = OpinionSerializer(allow_null=True)


def asked_opinion(review, share) -> dict:
    opinion = getattr(share, "opinion", None)
    state = "revoked" if share.revoked_at else "active" if share.is_active() else "expired"
    return {
        "id": share.pk, "department": share.department.code, "department_name": _text(share.department.name),
        "reason": share.reason, "shared_at": share.created_at, "expires_at": share.expires_at, "state": state,
        "opinion_due": share.opinion_due,
        "opinion": None if opinion is None else {
            "verdict": opinion.verdict, "conditions": opinion.conditions, "reasons": opinion.reasons,
            "comment": opinion.comment, "given_at": opinion.given_at, "given_by": opinion.given_by.full_name,
            "files": [{"id": f.pk, "name": f.original_name, "content_type": f.content_type, "size": f.size,
                       "sha256": f.sha256, "download_url": reverse("api:review-opinion-file", args=[review.pk, f.pk])}
                      for f in opinion.attachments.all()],
        },
    }


class FilingSummarySerializer(OfApplicationSerializer):
    department = serializers.CharField()
    filed_at = serializers.DateTimeField()
    acknowledge_by = serializers.DateField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)


def filing_summary(filing) -> dict:
    return {"id": filing.pk, "application_id": filing.application_id, "reference": filing.application.reference,
            "service": filing.application.service.slug, "department": filing.department.code,
            "filed_at": filing.created_at, "acknowledge_by": filing.acknowledge_by,
            "acknowledged_at": filing.acknowledged_at}


class FilingPermitSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()


class FilingDetailSerializer(FilingSummarySerializer):
    applicant = ApplicantSerializer(help_text="The details of the applicant's identity the filing lists.")
    answers = AnswerSerializer(many=True, help_text="The answers the filing lists, and no other.")
    permit = FilingPermitSerializer(allow_null=True)


def filing_detail(filing, view: dict) -> dict:
    permit = view["permit"]
    return {
        **filing_summary(filing),
        **need_to_know_data(view),
        "permit": {"number": permit.number, "status": permit.status, "valid_from": permit.valid_from,
                   "valid_until": permit.valid_until} if permit else None,
    }


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=list(Decision.ALL))
    conditions = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    correction_fields = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list,
                                              max_length=100)
    message = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    expected_version = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0,
                                                max_value=2_000_000_000)


class MessageInSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=4000, trim_whitespace=True)


class MessageOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    side = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class WebhookInSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text=(
        "An https address of a public host (see the API documentation for the addresses refused)."))
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1,
                                   max_length=len(WebhookEvent.values))

    def validate_url(self, value):
        try:
            check_url_form(value)
        except TargetRefused as refused:
            raise serializers.ValidationError(refused.message)
        return value


class WebhookOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WebhookCreatedSerializer(WebhookOutSerializer):
    secret = serializers.CharField(allow_null=True, help_text=(
        "The signing secret: shown only in this answer. An Idempotency-Key replay of it answers null: "
        "the portal keeps the secret only encrypted, and gives it once."))


def webhook_row(sub, *, secret: str | None = None) -> dict:
    """A subscription as the API shows it; with ``secret``, the answer that gives it (once)."""
    row = {"id": sub.pk, "url": sub.url, "events": list(sub.events), "active": sub.active, "created_at": sub.created_at}
    if secret is not None:
        row["secret"] = secret
    return row


def without_secret(body: dict) -> dict:
    """A subscription's answer with its secret as an Idempotency-Key replays it: without it."""
    return {**body, "secret": None}


# --- Applications on a citizen's behalf ------------------------------------------------------------


def check_answer_values(answers: dict) -> dict:
    """The JSON form of answers: scalars, or lists of strings; never nested objects."""
    errors = {}
    for key, value in answers.items():
        if isinstance(value, dict) or (isinstance(value, list) and not all(isinstance(v, str) for v in value)):
            errors[str(key)] = [_("Give a text, a number, true/false, or a list of choices.")]
    if errors:
        raise serializers.ValidationError(errors)
    return answers


class AnswersField(serializers.DictField):
    child = serializers.JSONField(allow_null=True)

    def to_internal_value(self, data):
        return check_answer_values(super().to_internal_value(data))


class ConsentDocumentSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="The file's name, as shown to people.")
    content = serializers.CharField(trim_whitespace=False, help_text=(
        "The signed document, base64-encoded: a PDF, PNG or JPEG of at most COUNTER_CONSENT_MAX_MB (3 MB)."))

    def validate_content(self, value):
        try:
            return base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(_("Send the document's content in base64."))


class ConsentSerializer(serializers.Serializer):
    """The citizen's signed consent to a front desk filing for them."""

    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    signed_at = serializers.DateTimeField()
    officer_name = serializers.CharField(max_length=150, help_text="The desk's officer who took the consent.")
    officer_staff_number = serializers.CharField(max_length=32)
    document = ConsentDocumentSerializer(required=False, help_text="The signed document itself …")
    document_reference = serializers.CharField(max_length=200, required=False, help_text=(
        "… or where the desk keeps it (its archive's reference). At least one of the two."))

    def validate_signed_at(self, value):
        if value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError(_("The consent cannot have been signed in the future."))
        return value

    def validate(self, data):
        if "document" not in data and not data.get("document_reference"):
            raise serializers.ValidationError({"document": [
                _("Send the signed document, or its reference in the desk's archive (document_reference).")]})
        return data


CLOCK_SKEW = timedelta(minutes=5)


class ApplicationCreateSerializer(serializers.Serializer):
    """A front desk names the citizen (by id or e-mail) and sends their consent; a citizen sends neither."""

    service = serializers.SlugField(max_length=100)
    answers = AnswersField(required=False, default=dict)
    applicant_id = serializers.IntegerField(required=False, min_value=1, max_value=2**62, help_text=(
        "Front-desk tokens only: a citizen registered at a front desk, by the id POST /citizens/ returned."))
    applicant_email = serializers.EmailField(required=False, help_text="Front-desk tokens only: the citizen's account.")
    consent = ConsentSerializer(required=False, help_text="Front-desk tokens only, and required for them.")

    def validate(self, data):
        named = [key for key in ("applicant_id", "applicant_email") if key in data]
        if not self.context.get("front_desk"):
            if stray := [key for key in (*named, "consent") if key in data]:
                raise serializers.ValidationError({key: [_("Only a front desk files for someone else.")]
                                                   for key in stray})
            return data
        errors = {}
        if not named:
            errors["applicant_id"] = [_("Name the citizen: their id (applicant_id) or their e-mail address "
                                        "(applicant_email).")]
        elif len(named) > 1:
            errors["applicant_id"] = [_("Name the citizen once: by id or by e-mail address, not both.")]
        if "consent" not in data:
            errors["consent"] = [_("A front desk files only with the citizen's signed consent: send how and when it "
                                   "was signed, the officer who took it, and the signed document or its reference.")]
        if errors:
            raise serializers.ValidationError(errors)
        return data


class AnswersSerializer(serializers.Serializer):
    answers = AnswersField()
    certificates = serializers.DictField(
        child=serializers.IntegerField(allow_null=True, min_value=1, max_value=2**62), required=False, default=dict,
        help_text=("For a document question a certificate answers: the id of the citizen's valid certificate of its "
                   "type, or null for none (a file answers it). Left out, submitting uses the newest one held."))


class PermitCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH, help_text="Why the holder gives the permit up.")
    cancelled_from = serializers.DateField(help_text=(
        "The day the cancellation takes effect: today or later (in the portal's time zone), up to "
        "PERMIT_CANCEL_AHEAD_DAYS ahead and no later than the permit's end."))


class AttachmentUploadSerializer(serializers.Serializer):
    field_key = serializers.CharField(max_length=64)
    file = serializers.FileField(allow_empty_file=False)


class ApplicationReviewSerializer(serializers.Serializer):
    department = serializers.CharField()
    department_name = serializers.CharField()
    stage = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    due_date = serializers.DateField(allow_null=True)
    conditions = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)
    correction_fields = serializers.ListField(child=serializers.CharField())
    correction_message = serializers.CharField(allow_blank=True)


class PermitSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    state = serializers.ChoiceField(choices=PermitState.choices, help_text=(
        "What verification says today (in the portal's time zone): the status, with expiry and a cancellation "
        "in force from their dates."))
    cancelled_from = serializers.DateField(allow_null=True, help_text="The day the holder's cancellation takes effect.")
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    download_url = serializers.CharField(allow_null=True)
    combined = serializers.BooleanField(help_text="One combined permit standing for every permit of the bundle the "
                                        "application is part of (one_permit): the same permit on each of them.")


class ApplicationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(allow_null=True)
    service = serializers.CharField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    kind = serializers.ChoiceField(choices=ApplicationKind.choices, help_text=(
        "`renewal`: it renews the permit `renews` (its approval issues the next permit of that permit's series); "
        "`amendment`: it changes details of the permit `amends` (its approval issues the amended permit, the next of "
        "that permit's series, which replaces it at once)."))
    renews = serializers.CharField(allow_null=True, help_text="The number of the permit a renewal renews.")
    amends = serializers.CharField(allow_null=True, help_text="The number of the permit an amendment changes.")
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class ConsentDocumentOutSerializer(serializers.Serializer):
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class FilingSerializer(serializers.Serializer):
    """Who filed the application on the citizen's behalf, with which consent."""

    desk = serializers.CharField(help_text="The front desk's name.")
    filed_at = serializers.DateTimeField()
    consent_method = serializers.ChoiceField(choices=ConsentMethod.choices, allow_null=True)
    consent_signed_at = serializers.DateTimeField(allow_null=True)
    officer_name = serializers.CharField(allow_blank=True)
    officer_staff_number = serializers.CharField(allow_blank=True)
    document = ConsentDocumentOutSerializer(allow_null=True)
    document_reference = serializers.CharField(allow_blank=True)


class NotNeededSerializer(serializers.Serializer):
    department = serializers.CharField()
    department_name = serializers.CharField()
    why = serializers.CharField(help_text="Why its review is not needed, in the request's language.")


class ApplicationDetailSerializer(ApplicationSummarySerializer):
    answers = serializers.DictField(child=serializers.JSONField(allow_null=True))
    asked = serializers.ListField(
        child=serializers.CharField(), help_text="The questions asked given the answers (and documents) so far, in form "
        "order; a renewal or an amendment asks only the questions its service lets it change, and any required "
        "one its carried answers leave unanswered. The answer to a question not asked is not kept at submission.")
    not_needed = NotNeededSerializer(
        many=True, help_text="The departments whose review the answers make unnecessary, with why (on a submitted "
        "application: as at its submission or last correction; a review approved before stays approved).")
    attachments = AttachmentSerializer(many=True)
    certificates = EvidenceSerializer(many=True, help_text="The certificates chosen for, or answering, documents.")
    reviews = ApplicationReviewSerializer(many=True)
    permit = PermitSerializer(allow_null=True)
    filed_at_counter = FilingSerializer(allow_null=True, help_text="Null unless a front desk filed it.")


def application_summary(application) -> dict:
    return {"id": application.pk, "reference": application.reference, "service": application.service.slug,
            "status": application.status, "kind": application.kind,
            "renews": application.renews.number if application.renews_id else None,
            "amends": application.amends.number if application.amends_id else None,
            "created_at": application.created_at,
            "submitted_at": application.submitted_at, "decided_at": application.decided_at}


def application_detail(application) -> dict:
    permits = getattr(application, "current_permits", [])
    permit = permits[0] if permits else None
    chosen = chosen_of(application)
    documents = {a.field_key for a in application.attachments.all()} | set(chosen) | carried_document_keys(application)
    if application.submitted_at:
        unneeded = application_not_needed(application)
    else:
        unneeded = not_needed(application.schema, application.answers, documents)
    return {
        **application_summary(application),
        "answers": dict(application.answers),
        "asked": asked_keys(application.schema, application.answers, documents, asks=asked_again(application)),
        "not_needed": [{"department": n.department, "department_name": n.department_name, "why": n.why}
                       for n in unneeded],
        "attachments": [attachment_row(a, "") for a in application.attachments.all()],
        "certificates": [evidence_row(row) for row in chosen.values()],
        "reviews": [{
            "department": r.department.code, "department_name": r.department.display_name, "stage": r.stage,
            "status": r.status, "due_date": r.due_date, "conditions": r.conditions, "reason": r.reason,
            "correction_fields": list(r.correction_fields), "correction_message": r.correction_message,
        } for r in application.reviews.all()],
        "filed_at_counter": filing_row(getattr(application, "api_filing", None)),
        "permit": None if permit is None else {
            "number": permit.number, "status": permit.status, "state": permit.state(),
            "cancelled_from": permit.cancelled_from, "valid_from": permit.valid_from,
            "valid_until": permit.valid_until,
            "download_url": reverse("api:application-permit", args=[application.pk]) if permit.file else None,
            "combined": permit.bundle_application_id is not None,
        },
    }


def filing_row(filing) -> dict | None:
    if filing is None:
        return None
    consent = getattr(filing, "consent", None)
    document = None
    if consent is not None and consent.document:
        document = {"name": consent.document_name, "content_type": consent.document_content_type,
                    "size": consent.document_size, "sha256": consent.document_sha256}
    return {
        "desk": filing.token.name, "filed_at": filing.created_at,
        "consent_method": consent.method if consent else None, "consent_signed_at": consent.signed_at if consent else None,
        "officer_name": consent.officer_name if consent else "",
        "officer_staff_number": consent.officer_staff_number if consent else "",
        "document": document, "document_reference": consent.document_reference if consent else "",
    }


# --- Walk-in citizens at a front desk ----------------------------------------------------------------


class CitizenRegistrationSerializer(serializers.Serializer):
    """A walk-in citizen, after the desk's officer checked their identity document in person."""

    full_name = serializers.CharField(max_length=150, help_text="As on the identity document.")
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_number = serializers.CharField(max_length=40, help_text=(
        "A resident identity card's is checked by checksum, birth date and region and stored in stdnum's "
        "compact form (18 characters, upper-case X); others: letters, digits and hyphens."))
    phone = serializers.CharField(max_length=32)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254, help_text=(
        "Optional: the citizen is mailed a link to set a password. Without it, the account is claimed with the "
        "national e-ID or a printed claim letter."))
    address = serializers.CharField(required=False, allow_blank=True, max_length=255)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False, help_text=(
        "The language of the citizen's mail; default the portal's."))
    officer_name = serializers.CharField(max_length=150, help_text="The desk's officer who checked the document.")
    officer_staff_number = serializers.CharField(max_length=32)
    claim_letter = serializers.BooleanField(required=False, default=False, help_text=(
        "Also return a claim code to print on a letter for the citizen."))


class ClaimLetterSerializer(serializers.Serializer):
    code = serializers.CharField(allow_null=True, help_text=(
        "Shown once: null when an Idempotency-Key replays the answer (ask for a new letter)."))
    url = serializers.CharField(allow_null=True, help_text="Where the citizen uses the code; null in a replay.")
    expires_at = serializers.DateTimeField()


class CitizenRegisteredSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Name the citizen by it when filing (applicant_id).")
    full_name = serializers.CharField()
    email = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_number = serializers.CharField()
    assurance = serializers.ChoiceField(choices=[Assurance.IN_PERSON.value])
    identity_verified_by = serializers.CharField()
    identity_verified_at = serializers.DateTimeField()
    claim_mailed = serializers.BooleanField(help_text="A claim link was mailed to the e-mail address.")
    claim_letter = ClaimLetterSerializer(allow_null=True)


def claim_letter_row(letter: ClaimLetter | None) -> dict | None:
    if letter is None:
        return None
    return {"code": letter.code, "url": letter.url, "expires_at": letter.expires_at}


def citizen_registered(walk_in: WalkIn) -> dict:
    user, registration = walk_in.user, walk_in.registration
    return {
        "id": user.pk, "full_name": user.full_name, "email": user.email if user.has_mailbox else None,
        "phone": user.phone, "address": user.address, "document_type": registration.document_type,
        "document_number": registration.document_number, "assurance": user.assurance,
        "identity_verified_by": user.identity_verified_by, "identity_verified_at": user.identity_verified_at,
        "claim_mailed": walk_in.claim_mailed, "claim_letter": claim_letter_row(walk_in.letter),
    }


def without_claim_code(body: dict) -> dict:
    """A registration's or a claim letter's answer as an Idempotency-Key replays it: the code is
    kept only hashed, so it is not given again."""
    if "claim_letter" in body:
        return {**body, "claim_letter": body["claim_letter"] and without_claim_code(body["claim_letter"])}
    return {**body, "code": None, "url": None}
