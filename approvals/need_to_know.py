"""What a reviewing department sees of an application: the answers and files its requirement
lists, and the applicant's identity the form asked for; nothing else (the review page, the
opinion page and the API read it here)."""

from django.utils.translation import gettext_lazy as _

from accounts.models import mailable

from .models import Attachment, Review

# The applicant's identity on the review page: the account's name and email, which every
# applicant gave at registration, and a profile detail only where the service's form asks for it
# (the field key that asks it). What no one asked for is not shown, not even as an empty row.
IDENTITY_ROWS = (
    ("full_name", _("Name"), None),
    ("email", _("Email"), None),
    ("phone", _("Phone"), "contact_phone"),
    ("id_number", _("Identity document number"), "id_number"),
)


def identity_rows(applicant, schema) -> list[tuple[str, str]]:
    """(label, value) of the applicant's identity that this form asked for, in that order. A reserved
    login (a walk-in registered at a front desk without an address) is no e-mail address to show."""
    return [
        (str(label), value) for attribute, label, asked_by in IDENTITY_ROWS
        if (asked_by is None or asked_by in schema.fields_by_key) and (value := getattr(applicant, attribute, ""))
        and (attribute != "email" or mailable(value))
    ]


def need_to_know(review: Review) -> dict:
    """Only the answers and files the department's requirement lists, and the identity the form asked."""
    schema = review.application.schema
    keys = schema.department_fields(review.department.code)
    specs = [schema.fields_by_key[k] for k in keys if k in schema.fields_by_key]
    answers = review.application.answers
    files = list(review.application.attachments.filter(field_key__in=keys))
    return {
        "identity": identity_rows(review.application.applicant, schema),
        "rows": [{"spec": s, "value": answers.get(s["key"]),
                  "files": [f for f in files if f.field_key == s["key"]]} for s in specs],
        "keys": keys,
        "other_reviews": list(
            review.application.reviews.exclude(pk=review.pk).select_related("department").order_by("stage", "department__code")
        ),
    }


def department_attachment(review: Review, attachment_id: int):
    """One of the files the review's department may see, or None."""
    keys = review.application.schema.department_fields(review.department.code)
    return Attachment.objects.filter(pk=attachment_id, application_id=review.application_id, field_key__in=keys).first()
