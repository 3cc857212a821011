"""The opinion the department asked gives back on a share: agree, agree with conditions (which
it states) or disagree (with its reasons), plus an optional comment and up to OPINION_MAX_FILES
files (a signed statement, a marked-up plan). One per share, given by an officer or supervisor
of the department asked while the share is active, and final with its files: it is part of the
application's record. The asking department's supervisors are told of it.

The files are checked as a citizen's are (approvals.uploads: type by content, size, the deep
checks and the disarmed copy) before the share's row is locked, since making a copy can take a
second; they are stored with the opinion in its transaction, and if anything fails neither the
opinion nor any file is kept."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.models import Action
from audit.services import audit_record
from core.errors import Conflict, ValidationFailed
from departments.access import member_role
from departments.models import MembershipRole

from .attachments import stored_file_save, stored_files_delete
from .locks import lock_share
from .models import (
    OPINION_FILE_MAX_MB,
    OPINION_MAX_FILES,
    OPINION_TEXT_MAX,
    ApplicationShare,
    NotificationKind,
    OpinionAttachment,
    OpinionVerdict,
    Review,
    ShareOpinion,
)
from .notifications import department_staff_ids, notify
from .sharing import share_event
from .uploads import check_upload, display_name

FILES = "files"  # the key of the files' messages, as the form names its field


def _cleaned(verdict, conditions, reasons, comment) -> dict:
    """The opinion's fields, stripped, or ValidationFailed naming each field at fault."""
    fields = {"conditions": (conditions or "").strip(), "reasons": (reasons or "").strip(),
              "comment": (comment or "").strip()}
    errors = {name: [_("Write at most %(max)s characters.") % {"max": OPINION_TEXT_MAX}]
              for name, text in fields.items() if len(text) > OPINION_TEXT_MAX}
    if verdict not in OpinionVerdict.values:
        errors["verdict"] = [_("Choose whether your department agrees.")]
    elif verdict == OpinionVerdict.AGREE_WITH_CONDITIONS and not fields["conditions"]:
        errors["conditions"] = [_("Say on which conditions your department agrees.")]
    elif verdict == OpinionVerdict.DISAGREE and not fields["reasons"]:
        errors["reasons"] = [_("Say why your department disagrees.")]
    if errors:
        raise ValidationFailed(errors)
    # Only what the verdict asks for is kept: conditions of a plain "agree" would mislead.
    if verdict != OpinionVerdict.AGREE_WITH_CONDITIONS:
        fields["conditions"] = ""
    if verdict != OpinionVerdict.DISAGREE:
        fields["reasons"] = ""
    return fields


def opinion_files_check(files) -> list[tuple[object, dict]]:
    """Check the files given with an opinion as a citizen's upload is checked; returns each with
    its metadata (and disarmed copy), or raises ValidationFailed naming every file refused."""
    files = [f for f in files or () if f is not None]
    if len(files) > OPINION_MAX_FILES:
        raise ValidationFailed({FILES: [ngettext("Attach at most %(n)d file to an opinion.",
                                                 "Attach at most %(n)d files to an opinion.",
                                                 OPINION_MAX_FILES) % {"n": OPINION_MAX_FILES}]})
    spec = {"key": FILES, "kind": "file", "label": _("file"), "max_size_mb": OPINION_FILE_MAX_MB}
    checked, errors = [], []
    for uploaded in files:
        try:
            checked.append((uploaded, check_upload(spec, uploaded)))
        except ValidationFailed as refused:
            errors += [_("“%(file)s”: %(message)s") % {"file": display_name(uploaded.name), "message": message}
                       for message in refused.errors[FILES]]
    if errors:
        raise ValidationFailed({FILES: errors})
    return checked


def _answerable(share: ApplicationShare, actor):
    """Refuse what may not answer the share now; returns the time it is answered at."""
    if member_role(actor, share.department_id) not in (MembershipRole.OFFICER, MembershipRole.SUPERVISOR):
        raise ApplicationShare.DoesNotExist
    if ShareOpinion.objects.filter(share_id=share.pk).exists():
        raise Conflict(_("Your department already gave its opinion on this application; it is final."))
    if share.revoked_at is not None:
        raise Conflict(_("The asking department withdrew this share: it can no longer be answered."))
    now = timezone.now()
    if share.expires_at <= now:
        raise Conflict(_("This share has expired: it can no longer be answered."))
    return now


def opinion_give(*, share_id: int, actor, verdict: str, conditions: str = "", reasons: str = "", comment: str = "",
                 files=(), ip: str | None = None) -> ShareOpinion:
    """A member of the department asked gives its opinion on a share, with ``files`` (uploaded
    files, at most OPINION_MAX_FILES). Everything is checked first, the files outside any lock;
    then, under the share's row lock, the second of two people answering at once finds the
    first's opinion."""
    _answerable(ApplicationShare.objects.get(pk=share_id), actor)
    errors = {}  # what is wrong with the text and with the files, told at once
    try:
        fields = _cleaned(verdict, conditions, reasons, comment)
    except ValidationFailed as refused:
        errors.update(refused.errors)
    try:
        checked = opinion_files_check(files)
    except ValidationFailed as refused:
        errors.update(refused.errors)
    if errors:
        raise ValidationFailed(errors)
    return _opinion_record(share_id=share_id, actor=actor, verdict=verdict, fields=fields, checked=checked, ip=ip)


@transaction.atomic
def _opinion_record(*, share_id: int, actor, verdict: str, fields: dict, checked: list, ip) -> ShareOpinion:
    share = lock_share(share_id)
    now = _answerable(share, actor)
    opinion = ShareOpinion.objects.create(share=share, verdict=verdict, given_by=actor, given_at=now, **fields)
    stored = []
    try:
        for uploaded, meta in checked:
            stored.append(stored_file_save(OpinionAttachment(opinion=opinion, uploaded_at=now), uploaded, meta))
        audit_record(share_event(share, action=Action.OPINION_GIVEN, actor=actor, ip=ip, event="opinion",
                                 verdict=verdict, files=[_file_on_record(f) for f in stored]))
        review = Review.objects.only("pk").get(application_id=share.application_id,
                                               department_id=share.from_department_id)
        notify(recipient_ids=department_staff_ids(share.from_department_id, role=MembershipRole.SUPERVISOR),
               kind=NotificationKind.OPINION_GIVEN, application=share.application, review=review,
               params={"department": share.department.name, "verdict": verdict})
    except BaseException as failure:
        # The transaction rolls back: the files written for it go too.
        stored_files_delete(f for row in stored for f in (row.file, row.disarmed_file))
        if isinstance(failure, OSError):
            raise ValidationFailed({FILES: [_("Your files could not be stored, so your opinion was not given. "
                                              "Please try again.")]}) from failure
        raise
    return opinion


def _file_on_record(attachment: OpinionAttachment) -> dict:
    # As citizens' files are on record: never by the name it was uploaded with.
    return {"id": attachment.pk, "content_type": attachment.content_type, "size": attachment.size,
            "sha256": attachment.sha256}


# --- Reads: the asking department's ----------------------------------------------------------------


def asked_opinions(review: Review):
    """The shares the review's department made for its application, newest first, each with its
    opinion (if given), who gave it and its files: what every officer and supervisor of the
    department, and its system through the API, reads (approvals.access.opinion_reader_department)."""
    return (
        ApplicationShare.objects.filter(application_id=review.application_id, from_department_id=review.department_id)
        .select_related("department", "granted_by", "opinion__given_by").prefetch_related("opinion__attachments")
        .order_by("-created_at", "-pk")
    )


def asked_opinion_file(review: Review, file_id: int) -> OpinionAttachment | None:
    """A file given with an opinion the review's department asked for on its application, or None."""
    return OpinionAttachment.objects.filter(pk=file_id, opinion__share__application_id=review.application_id,
                                            opinion__share__from_department_id=review.department_id).first()
