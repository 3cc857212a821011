"""What a reviewing department sees of an application: the answers and files its requirement
lists (and the certificates answering the documents among them, as verified evidence), and the
details of the applicant's identity it lists (a review's ``identity`` in the
catalogue), from the moment its review's stage starts; before that nothing of the application,
and never anything else. The review page, the opinion page, the API, the queues' copy of the
name, the supervisors' tables of reviews and the permit pages all ask here. A department told of
an approval by filing sees what its filing lists, the same way (``filing_need_to_know``)."""

from dataclasses import dataclass

from accounts.models import mailable
from catalogue.models import FieldKind, IdentityDetail
from catalogue.schema import Schema
from departments.access import acts_as_administrator, supervisor_memberships
from permits.models import Permit, PermitStatus

from .applicable import applied_to
from .models import ApplicationCertificate, ApplicationRegisterValue, Attachment, Filing, Review

# Each detail of the identity and the attribute of the applicant's account it is read from (the
# API names the details by these).
IDENTITY_ATTRIBUTES = {
    IdentityDetail.NAME: "full_name",
    IdentityDetail.EMAIL: "email",
    IdentityDetail.PHONE: "phone",
    IdentityDetail.ID_NUMBER: "id_number",
}


@dataclass(frozen=True)
class IdentityRow:
    attribute: str
    label: str
    value: str


def review_started(review: Review) -> bool:
    """Whether the review's stage has started: the review has been in its department's queue.
    A later stage's review waiting for an earlier one, or cancelled while waiting, never was."""
    return review.pending_since is not None


def name_shown(schema: Schema, department_code: str) -> bool:
    """Whether the department's requirement lists the applicant's name (the queues' copy of it,
    Review.applicant_name, is kept for these reviews only)."""
    return IdentityDetail.NAME in schema.department_identity(department_code)


def identity_rows(applicant, schema: Schema, department_code: str) -> list[IdentityRow]:
    """The details of the applicant's identity the department's requirement lists, in
    IdentityDetail's order. A detail the applicant has not given is no row, and a reserved login
    (a walk-in registered at a front desk without an address) is no e-mail address to show."""
    return _identity_rows(applicant, schema.department_identity(department_code))


def _identity_rows(applicant, details: list[str]) -> list[IdentityRow]:
    rows = []
    for detail in details:
        attribute = IDENTITY_ATTRIBUTES[detail]
        value = getattr(applicant, attribute, "") or ""
        if value and (attribute != "email" or mailable(value)):
            rows.append(IdentityRow(attribute, str(IdentityDetail(detail).label), value))
    return rows


def _answer_rows(application, specs: list[dict]) -> list[dict]:
    """Each answer with where it came from when the form takes it from a register
    (approvals.register_values): its source and time, or that the applicant typed it; the
    sources are read only for a form that takes something from one."""
    bound = [s["key"] for s in specs if s.get("register")]
    sources = {v.field_key: v for v in ApplicationRegisterValue.objects.filter(
        application_id=application.pk, field_key__in=bound)} if bound else {}
    registers = application.schema.registers
    return [{"spec": s, "value": application.answers.get(s["key"]), "source": sources.get(s["key"]),
             "register_name": (registers.get(s["register"]["register"]) or {}).get("name") if s.get("register") else None}
            for s in specs]


def _mark_changes(application, view: dict) -> None:
    """A renewal or an amendment: the permit it follows, and on each row the department sees
    whether the answer changes the permit's (``was``: what the permit's application said)."""
    before = application.follows.application.answers
    view["follows"] = {"kind": application.kind, "number": application.follows.number}
    own_files = {f.field_key for row in view["rows"] for f in row["files"]}
    for row in view["rows"]:
        key = row["spec"]["key"]
        if row["spec"]["kind"] == "file":
            row["changed"] = key in own_files
        elif row["value"] != before.get(key):
            row["changed"], row["was"] = True, before.get(key)


def need_to_know(review: Review, *, identity: bool = True) -> dict:
    """The answers and files the department's requirement lists and, with ``identity``, the
    details of the applicant it lists; all empty until the review's stage starts.
    ``applicant_name`` is the name where it is shown, else ""."""
    application = review.application
    view = {
        "started": review_started(review), "identity": [], "rows": [], "applicant_name": "",
        "other_reviews": list(
            application.reviews.exclude(pk=review.pk).select_related("department").order_by("stage", "department__code")
        ),
    }
    if not view["started"]:
        return view
    schema = application.schema
    code = review.department.code
    keys = schema.department_fields(code)
    attached = list(application.attachments.all())
    evidence = {row.field_key: row for row in evidence_of(review, keys)}
    # Only the questions the application was asked (approvals.applicable): one not asked has
    # no answer to see.
    asked = set(applied_to(schema, application.answers, {f.field_key for f in attached} | set(evidence)).asked)
    specs = [schema.fields_by_key[k] for k in keys if k in schema.fields_by_key and k in asked]
    files = [f for f in attached if f.field_key in keys]
    view["rows"] = [{**row, "files": [f for f in files if f.field_key == row["spec"]["key"]],
                     "evidence": evidence.get(row["spec"]["key"])}
                    for row in _answer_rows(application, specs)]
    if application.follows_id:
        _mark_changes(application, view)
    if identity:
        view["identity"] = identity_rows(application.applicant, schema, code)
        view["applicant_name"] = next((row.value for row in view["identity"] if row.attribute == "full_name"), "")
    return view


def filing_need_to_know(filing: Filing) -> dict:
    """What a department told of an approval by filing sees: the answers its filing lists (never
    a file) and the details of the applicant it lists (as a review's, from the profile only where
    the form asks), with the application's reference, service and permit; nothing else."""
    application = filing.application
    schema = application.schema
    code = filing.department.code
    specs = [schema.fields_by_key[key] for key in schema.filing_fields(code)]
    return {
        "rows": _answer_rows(application, [spec for spec in specs if spec["kind"] != FieldKind.FILE]),
        "identity": _identity_rows(application.applicant, schema.filing_identity(code)),
        "permit": Permit.objects.filter(application_id=application.pk).exclude(status=PermitStatus.SUPERSEDED)
        .order_by("-pk").first(),
    }


def evidence_of(review: Review, keys):
    """The certificates relied on for the documents ``keys`` (the department's own), each with
    its type, issuer and permit, so that its state is read live on every view, never copied."""
    return (ApplicationCertificate.objects.filter(application_id=review.application_id, field_key__in=list(keys),
                                                  submitted_at__isnull=False)
            .select_related("certificate__type", "certificate__issuer", "certificate__permit"))


def department_evidence(review: Review, field_key: str):
    """The certificate relied on for one of the documents the review's department may see, or
    None (none before its stage starts)."""
    if not review_started(review):
        return None
    keys = review.application.schema.department_fields(review.department.code)
    return evidence_of(review, [field_key] if field_key in keys else []).first()


def department_attachment(review: Review, attachment_id: int):
    """One of the files the review's department may see, or None (none before its stage starts)."""
    if not review_started(review):
        return None
    keys = review.application.schema.department_fields(review.department.code)
    return Attachment.objects.filter(pk=attachment_id, application_id=review.application_id, field_key__in=keys).first()


def names_shown_to_supervisor(user, applications) -> set[int]:
    """The ids of the applications whose applicant's name this member of staff may see on the
    permit pages: an administrator every one; a supervisor those that a department they
    supervise reviews with a requirement listing the name (a permit is issued once every review
    approved, so every stage has started)."""
    if acts_as_administrator(user):
        return {application.pk for application in applications}
    supervised = set(supervisor_memberships(user).values_list("department__code", flat=True))
    return {application.pk for application in applications
            if any(name_shown(application.schema, code) for code in supervised)}
