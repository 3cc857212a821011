"""Row locks, in one place. Every transition that can change an application's outcome locks
the application row first, so concurrent decisions on its reviews serialize there.

The lock is FOR NO KEY UPDATE: it serializes the transitions but, unlike FOR UPDATE, lets other
transactions insert rows that point at the application (notifications, audit events), whose
foreign-key checks take a KEY SHARE lock at commit. With FOR UPDATE, routing (which inserts such
rows while holding review rows) and a decision (which holds the application and waits for a
review row) deadlock.

The locks and the decision path (lock the application of a review with the officer's role,
re-read its reviews) are written in SQL: they run on every transition while the row is locked,
and the ORM's query compilation cost about 2.5 ms of CPU per statement there against 0.3 ms for
the same SQL (measured on the 2-core bench machine). The rows still come back as model instances, through
the same database converters the ORM applies."""

from django.contrib.auth import get_user_model
from django.db import connection, models

from catalogue.models import CalendarRevision
from certificates.models import Certificate
from departments.access import member_role_sql
from departments.models import Department
from payments.models import PaymentIssue
from permits.models import Permit, ReissueRequest
from registers.models import RegisterLookup

from .models import (
    AdviceRequest,
    Application,
    ApplicationShare,
    AppointmentBooking,
    Attachment,
    BundleApplication,
    CalendarChangeReview,
    CalendarChangeState,
    Complaint,
    Rectification,
    Review,
    ReviewStatus,
)

_APPLICATION_FIELDS = tuple(Application._meta.concrete_fields)
_REVIEW_FIELDS = tuple(Review._meta.concrete_fields)


def _columns(alias: str, fields) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in fields)


def _instances(model: type[models.Model], fields, rows) -> list[models.Model]:
    """Model instances from raw rows whose leading columns are ``fields``, converted as the ORM
    would (JSON decoded, SQLite dates parsed); extra trailing columns are returned apart."""
    converters = []
    for f in fields:
        col = f.get_col(model._meta.db_table)
        converters.append(connection.ops.get_db_converters(col) + col.get_db_converters(connection))
    names = [f.attname for f in fields]
    result = []
    for row in rows:
        values = list(row[: len(fields)])
        for i, chain in enumerate(converters):
            for convert in chain:
                values[i] = convert(values[i], None, connection)
        result.append((model.from_db(connection.alias, names, values), row[len(fields):]))
    return result


def _for_update() -> str:
    # SQLite has no row locks: its immediate transactions already serialize writers.
    return " FOR NO KEY UPDATE OF a" if connection.features.has_select_for_update_of else ""


def _attachment_keys_sql() -> str:
    """The distinct questions of application ``a`` that have a file, as one comma-separated
    string (field keys are [a-z0-9_]+)."""
    keys = "string_agg(DISTINCT t.field_key, ',')" if connection.vendor == "postgresql" else "group_concat(DISTINCT t.field_key)"
    return f"(SELECT {keys} FROM {Attachment._meta.db_table} t WHERE t.application_id = a.id)"  # noqa: S608


def lock_application(application_id: int, *, with_attachment_keys: bool = False) -> Application:
    """Lock an application row and return it. With ``with_attachment_keys`` it also carries
    ``attachment_keys``, the set of questions that have a file, read in the same statement
    (submitting checks them under the lock)."""
    extra = f", {_attachment_keys_sql()}" if with_attachment_keys else ""
    sql = (  # identifiers from the models' metadata; the value is a parameter
        f"SELECT {_columns('a', _APPLICATION_FIELDS)}{extra} FROM {Application._meta.db_table} a"  # noqa: S608
        " WHERE a.id = %s" + _for_update()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [application_id])
        rows = cursor.fetchall()
    if not rows:
        raise Application.DoesNotExist
    [(application, trailing)] = _instances(Application, _APPLICATION_FIELDS, rows)
    if with_attachment_keys:
        application.attachment_keys = set(trailing[0].split(",")) if trailing[0] else set()
    return application


def lock_person(user_id: int) -> None:
    """Lock a person's user row: what one person starts (a draft of a service) is decided under
    it, so two requests of theirs at the same moment (a double click) take turns. Nothing else
    locks user rows, and other transactions keep reading and referencing the row (KEY SHARE)."""
    if not connection.features.has_select_for_update:
        return  # SQLite: immediate transactions already serialize writers
    table = get_user_model()._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {connection.ops.quote_name(table)} WHERE id = %s FOR NO KEY UPDATE",  # noqa: S608
                       [user_id])


def lock_application_of_review(review_id: int, *, actor_id: int | None = None) -> Application:
    """Lock the application a review belongs to, in one statement. The application also
    carries ``actor_role``: the role of user ``actor_id`` in the review's department, or None
    when they are not an active member of it."""
    # Identifiers come from the models' metadata; every value is a query parameter.
    role = member_role_sql(department=f"(SELECT r.department_id FROM {Review._meta.db_table} r WHERE r.id = %s)")  # noqa: S608
    sql = (
        f"SELECT {_columns('a', _APPLICATION_FIELDS)}, {role} "  # noqa: S608
        f"FROM {Application._meta.db_table} a WHERE a.id = (SELECT application_id FROM {Review._meta.db_table} WHERE id = %s)"
        + _for_update()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [review_id, actor_id, review_id])
        rows = cursor.fetchall()
    if not rows:
        raise Application.DoesNotExist
    [(application, (role,))] = _instances(Application, _APPLICATION_FIELDS, rows)
    application.actor_role = role
    return application


def reviews_of(application_id: int) -> list[Review]:
    """Every review of an application, with its department's code (``review.department`` is
    loaded with id and code only), in id order. Called inside the application lock: this is
    what a transition computes the outcome from."""
    sql = (  # identifiers from the models' metadata; the value is a parameter
        f"SELECT {_columns('r', _REVIEW_FIELDS)}, d.code FROM {Review._meta.db_table} r"  # noqa: S608
        f" JOIN {Department._meta.db_table} d ON d.id = r.department_id WHERE r.application_id = %s ORDER BY r.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [application_id])
        rows = cursor.fetchall()
    reviews = []
    for review, (code,) in _instances(Review, _REVIEW_FIELDS, rows):
        Review.department.field.set_cached_value(
            review, Department.from_db(connection.alias, ["id", "code"], [review.department_id, code]))
        reviews.append(review)
    return reviews


def lock_attachment(attachment_id: int) -> Attachment:
    """Lock an attachment row: its disarmed copy is written once, whoever asks for it first."""
    return Attachment.objects.select_for_update(no_key=True).get(pk=attachment_id)


def lock_bundle_application(bundle_application_id: int) -> BundleApplication | None:
    """Lock a bundle application row (None when there is none): its saves and its submission
    take turns, and the children are locked one by one by the engine's own functions."""
    return BundleApplication.objects.select_for_update().filter(pk=bundle_application_id).first()


def lock_person_name(user_id: int) -> str:
    """Lock a person's user row (FOR UPDATE) and return their full name: a rename in flight
    either waits for what is written under this lock or is read by it."""
    return get_user_model().objects.select_for_update().values_list("full_name", flat=True).get(pk=user_id)


def lock_review(review_id: int) -> Review:
    """Lock one review row (with its department) and return it."""
    return Review.objects.select_for_update(of=("self",)).select_related("department").get(pk=review_id)


def lock_reviews(review_ids, *, department_ids) -> list[Review]:
    """Lock the reviews among ``review_ids`` of these departments (FOR NO KEY UPDATE, so rows
    pointing at them can still be written), with department and application, in pk order."""
    return list(
        Review.objects.select_for_update(of=("self",), no_key=True)
        .select_related("department", "application")
        .filter(pk__in=review_ids, department_id__in=department_ids).order_by("pk")
    )


def lock_unrouted_reviews(application_ids) -> list[Review]:
    """The pending, unrouted reviews of these applications that no one else holds, locked FOR
    NO KEY UPDATE SKIP LOCKED (a concurrent routing takes the others), in pk order."""
    return list(
        Review.objects.select_for_update(of=("self",), no_key=True, skip_locked=True)
        .filter(application_id__in=application_ids, status=ReviewStatus.PENDING, routed_at__isnull=True)
        .select_related("application", "department")
        .only("application_id", "department_id", "assignee_id", "sla_days", "started_on", "due_date",
              "application__applicant_id", "department__code")
        .order_by("pk")
    )


def lock_share(share_id: int) -> ApplicationShare:
    """Lock an application share (with its application and both departments) and return it."""
    return (
        ApplicationShare.objects.select_for_update(of=("self",))
        .select_related("application", "department", "from_department").get(pk=share_id)
    )


def lock_reissue_request(request_id: int) -> ReissueRequest:
    """Lock a proposed correction of a permit (taken under its application's lock, which every
    change of the application's permits takes first)."""
    return ReissueRequest.objects.select_for_update(no_key=True).get(pk=request_id)


def lock_certificates(certificate_ids) -> list[Certificate]:
    """Lock certificates relied on as documents, and the permits behind those the portal issued
    (FOR NO KEY UPDATE, in pk order), and return them read again with their type, issuer and
    permit: a revocation, expiry or supersession written meanwhile is seen, and one written later
    waits for the transaction relying on them. A permit's own changes lock its application first;
    this lock is taken under another application's, so the two never wait on each other."""
    if not certificate_ids:
        return []
    certificates = list(Certificate.objects.select_for_update(of=("self",), no_key=True)
                        .select_related("type", "issuer").filter(pk__in=certificate_ids).order_by("pk"))
    permits = Permit.objects.select_for_update(no_key=True).filter(
        pk__in=[c.permit_id for c in certificates if c.permit_id]).order_by("pk").in_bulk()
    for certificate in certificates:
        if certificate.permit_id:
            Certificate.permit.field.set_cached_value(certificate, permits[certificate.permit_id])
    return certificates


def lock_register_lookup(lookup_id: int) -> RegisterLookup:
    """Lock one register look-up of an application (taken under nothing else: a citizen's report
    that a value is wrong appends to its disputed attributes, and two reports must not lose one)."""
    return RegisterLookup.objects.select_for_update(no_key=True).get(pk=lookup_id)


def lock_calendar_revisions(revisions: list[int]) -> dict[int, CalendarRevision]:
    """Lock the calendar revisions whose change is being recorded (FOR NO KEY UPDATE), so two
    beats record a change one after the other and the second finds it recorded."""
    return {r.revision: r for r in CalendarRevision.objects.select_for_update(no_key=True)
            .filter(revision__in=revisions).order_by("revision")}


def lock_calendar_change_reviews(item_ids, *, department_ids) -> list[CalendarChangeReview]:
    """Lock the listed reviews of a calendar change still to decide among ``item_ids``, of these
    departments, in pk order (before their reviews, as a decision on them takes them)."""
    return list(CalendarChangeReview.objects.select_for_update(of=("self",), no_key=True).select_related("change")
                .filter(pk__in=item_ids, department_id__in=department_ids, state=CalendarChangeState.PENDING)
                .order_by("pk"))


def lock_complaint(complaint_id: int) -> Complaint:
    """Lock one complaint row and return it: an answer, a verdict, a reassignment or a beat's claim
    in flight waits for the other."""
    return Complaint.objects.select_for_update(of=("self",)).get(pk=complaint_id)


def lock_rectification(rectification_id: int) -> Rectification:
    """Lock a rectification case (with its application and department): closing, reassigning and
    the applicant's rating after it each take it, so two at once are one after the other."""
    return (Rectification.objects.select_for_update(of=("self",), no_key=True)
            .select_related("application", "department", "rating").get(pk=rectification_id))


def lock_payment_issue(issue_id: int) -> PaymentIssue:
    """Lock money that could not be applied: two finance officers resolving it at once are one
    after the other, and the second finds it resolved. Taken before the order's application."""
    return PaymentIssue.objects.select_for_update(no_key=True).get(pk=issue_id)


def lock_advice_request(advice_id: int) -> AdviceRequest | None:
    """Lock a request for pre-application advice (with its application and department), or None:
    two officers answering it at once are one after the other, and the second finds it answered."""
    return (AdviceRequest.objects.select_for_update(of=("self",)).select_related("application", "department")
            .filter(pk=advice_id).first())


def lock_booking(booking_id: int, *, citizen=None) -> AppointmentBooking | None:
    """Lock an appointment booking (with its slot's department), or None; with ``citizen``, only
    theirs. A move, a cancellation and a no-show of one booking take turns."""
    rows = AppointmentBooking.objects.select_for_update(of=("self",)).select_related("slot__department")
    if citizen is not None:
        rows = rows.filter(citizen=citizen)
    return rows.filter(pk=booking_id).first()
