"""Request and response shapes. Validation of answers is the engine's (approvals.answers), the
same as the web form's; these only check the JSON's form."""

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from approvals.models import ApplicationStatus, ReviewStatus
from approvals.workflow import Decision
from core.i18n import translated

from .models import WebhookEvent


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


class CatalogueFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()
    required = serializers.BooleanField()
    section = serializers.CharField(allow_blank=True)
    choices = serializers.ListField(child=serializers.DictField(), required=False)
    rules = serializers.DictField()


class CatalogueReviewSerializer(serializers.Serializer):
    department = serializers.CharField()
    department_name = serializers.CharField()
    stage = serializers.IntegerField()
    time_limit_working_days = serializers.IntegerField()
    fields = serializers.ListField(child=serializers.CharField())


class ServiceSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    life_event = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()


class ServiceDetailSerializer(ServiceSummarySerializer):
    description = serializers.CharField(allow_blank=True)
    permit_title = serializers.CharField(allow_blank=True)
    permit_valid_days = serializers.IntegerField(allow_null=True)
    fields = CatalogueFieldSerializer(many=True)
    reviews = CatalogueReviewSerializer(many=True)


RULE_KEYS = ("max_length", "min", "max", "accept", "max_size_mb", "max_files")


def service_summary(service) -> dict:
    return {"slug": service.slug, "name": _text(service.name), "life_event": _text(service.life_event),
            "version": service.current_version_id}


def service_detail(service) -> dict:
    schema = service.current_version.schema
    info = schema.get("service", {})
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
        } for f in schema.get("fields", [])],
        "reviews": [{
            "department": r["department"], "department_name": _text(r.get("department_name")), "stage": r["stage"],
            "time_limit_working_days": r["sla_days"], "fields": list(r.get("fields", [])),
        } for r in schema.get("reviews", [])],
    }


class PermitVerificationSerializer(serializers.Serializer):
    number = serializers.CharField()
    state = serializers.ChoiceField(choices=["valid", "expired", "revoked", "superseded", "pending"])
    holder = serializers.CharField()
    service = serializers.CharField()
    departments = serializers.ListField(child=serializers.CharField())
    issued_at = serializers.DateTimeField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()


# --- Department systems -------------------------------------------------------------------------


class ReviewSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application_id = serializers.IntegerField()
    reference = serializers.CharField(allow_null=True)
    service = serializers.CharField()
    stage = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    due_date = serializers.DateField(allow_null=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


def review_summary(review) -> dict:
    return {"id": review.pk, "application_id": review.application_id, "reference": review.application.reference,
            "service": review.application.service.slug, "stage": review.stage, "status": review.status,
            "due_date": review.due_date, "version": review.version, "updated_at": review.updated_at}


class AnswerSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()
    value = serializers.JSONField(allow_null=True)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    field_key = serializers.CharField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    download_url = serializers.CharField()


def attachment_row(attachment, url: str) -> dict:
    return {"id": attachment.pk, "field_key": attachment.field_key, "name": attachment.original_name,
            "content_type": attachment.content_type, "size": attachment.size, "sha256": attachment.sha256,
            "download_url": url}


class ApplicantSerializer(serializers.Serializer):
    full_name = serializers.CharField(allow_blank=True)
    id_number = serializers.CharField(allow_blank=True)


class OtherReviewSerializer(serializers.Serializer):
    department = serializers.CharField()
    stage = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)


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
    other_reviews = OtherReviewSerializer(many=True)


def review_detail(review, view: dict) -> dict:
    application = review.application
    return {
        **review_summary(review),
        "department": review.department.code, "submitted_at": application.submitted_at,
        "assignee": review.assignee.full_name if review.assignee_id else None, "decided_at": review.decided_at,
        "conditions": review.conditions, "reason": review.reason, "correction_fields": list(review.correction_fields),
        "correction_message": review.correction_message,
        "applicant": {"full_name": application.applicant.full_name, "id_number": application.applicant.id_number},
        "answers": [{"key": row["spec"]["key"], "label": _text(row["spec"].get("label")) or row["spec"]["key"],
                     "kind": row["spec"]["kind"], "value": row["value"]} for row in view["rows"]],
        "attachments": [
            attachment_row(f, reverse("api:review-attachment", args=[review.pk, f.pk]))
            for row in view["rows"] for f in row["files"]
        ],
        "other_reviews": [{"department": r.department.code, "stage": r.stage, "status": r.status}
                          for r in view["other_reviews"]],
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
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1,
                                   max_length=len(WebhookEvent.values))


class WebhookOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WebhookCreatedSerializer(WebhookOutSerializer):
    secret = serializers.CharField(help_text="The signing secret: shown only in this answer.")


def webhook_row(sub, *, with_secret=False) -> dict:
    row = {"id": sub.pk, "url": sub.url, "events": list(sub.events), "active": sub.active, "created_at": sub.created_at}
    if with_secret:
        row["secret"] = sub.secret
    return row


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


class ApplicationCreateSerializer(serializers.Serializer):
    service = serializers.SlugField(max_length=100)
    answers = AnswersField(required=False, default=dict)
    applicant_email = serializers.EmailField(required=False, help_text="Front-desk tokens only: the citizen's account.")


class AnswersSerializer(serializers.Serializer):
    answers = AnswersField()


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
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    download_url = serializers.CharField(allow_null=True)


class ApplicationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(allow_null=True)
    service = serializers.CharField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class ApplicationDetailSerializer(ApplicationSummarySerializer):
    answers = serializers.DictField(child=serializers.JSONField(allow_null=True))
    attachments = AttachmentSerializer(many=True)
    reviews = ApplicationReviewSerializer(many=True)
    permit = PermitSerializer(allow_null=True)


def application_summary(application) -> dict:
    return {"id": application.pk, "reference": application.reference, "service": application.service.slug,
            "status": application.status, "created_at": application.created_at,
            "submitted_at": application.submitted_at, "decided_at": application.decided_at}


def application_detail(application) -> dict:
    permits = getattr(application, "current_permits", [])
    permit = permits[0] if permits else None
    return {
        **application_summary(application),
        "answers": dict(application.answers),
        "attachments": [attachment_row(a, "") for a in application.attachments.all()],
        "reviews": [{
            "department": r.department.code, "department_name": r.department.display_name, "stage": r.stage,
            "status": r.status, "due_date": r.due_date, "conditions": r.conditions, "reason": r.reason,
            "correction_fields": list(r.correction_fields), "correction_message": r.correction_message,
        } for r in application.reviews.all()],
        "permit": None if permit is None else {
            "number": permit.number, "status": permit.status, "valid_from": permit.valid_from,
            "valid_until": permit.valid_until,
            "download_url": reverse("api:application-permit", args=[application.pk]) if permit.file else None,
        },
    }
