"""Where an upload and its disarmed copy are stored, and which of the two a person is given.

Every download that serves a citizen's file (the officer workspace, a shared opinion, the API's
review attachments, the citizen's own page) or a file given with an opinion goes through
``disarmed_copy``; only ``original_for_record`` opens the upload as it came."""

import hashlib
import logging
from collections.abc import Iterator

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.errors import WorkflowError

from .disarm import disarmed
from .file_checks import FileRefused
from .locks import lock_attachment
from .models import Application, Attachment

logger = logging.getLogger(__name__)


class CopyUnavailable(WorkflowError):
    default_message = _("This file cannot be opened here: no safe copy of it could be made. The file as it was "
                        "uploaded is kept on record.")

    def __init__(self, reason: str = ""):
        self.reason = reason  # why, for the operator's report
        super().__init__()


def attachment_store(*, application: Application, field_key: str, uploaded, meta: dict) -> Attachment:
    """Store a checked upload (``meta`` from approvals.uploads.check_upload, with its disarmed
    copy under "disarmed") and its row. If anything fails, neither file is left behind."""
    return stored_file_save(Attachment(application=application, field_key=field_key), uploaded, meta)


def stored_file_save(row, uploaded, meta: dict):
    """Write a checked upload and its disarmed copy (``meta`` from check_upload) into ``row``'s
    ``file`` and ``disarmed_file`` (a citizen's Attachment, an OpinionAttachment) and save the
    row. If anything fails, neither file is left behind."""
    meta = dict(meta)
    copy = meta.pop("disarmed")
    for name, value in meta.items():
        setattr(row, name, value)
    row.disarmed_sha256 = hashlib.sha256(copy).hexdigest()
    written = []
    try:
        row.file.save("upload", uploaded, save=False)
        written.append(row.file)
        row.disarmed_file.save("copy", ContentFile(copy), save=False)
        written.append(row.disarmed_file)
        row.save()
    except BaseException:
        stored_files_delete(written)
        raise
    return row


def stored_files_delete(field_files) -> None:
    """Delete files written for rows that will not be kept (their transaction is failing)."""
    for field_file in field_files:
        if field_file:
            field_file.storage.delete(field_file.name)


def attachment_disarm(*, attachment_id: int) -> Attachment:
    """Make the disarmed copy of an attachment stored without one; an attachment that has one
    is returned as it is. The copy is computed outside any lock and written under the row's
    lock, so two callers at once write it once. Raises CopyUnavailable when the stored file
    cannot be disarmed (it stays without a copy, and is never served)."""
    attachment = Attachment.objects.get(pk=attachment_id)
    if attachment.disarmed_file:
        return attachment
    try:
        with attachment.file.open("rb") as original:
            copy = disarmed(original.read(), attachment.content_type)
    except (FileRefused, OSError) as error:
        reason = str(getattr(error, "message", error))
        logger.warning("attachment %s: no disarmed copy: %s", attachment_id, reason)
        raise CopyUnavailable(reason)
    with transaction.atomic():
        attachment = lock_attachment(attachment_id)
        if attachment.disarmed_file:
            return attachment
        attachment.disarmed_file.save("copy", ContentFile(copy), save=False)
        try:
            attachment.disarmed_sha256 = hashlib.sha256(copy).hexdigest()
            attachment.save(update_fields=["disarmed_file", "disarmed_sha256"])
        except BaseException:
            attachment.disarmed_file.storage.delete(attachment.disarmed_file.name)
            raise
    return attachment


def disarmed_copy(attachment):
    """The copy to serve, open for reading (made now if a citizen's attachment has none yet;
    an opinion's files are stored with theirs)."""
    if not attachment.disarmed_file:
        if not isinstance(attachment, Attachment):
            raise CopyUnavailable("stored without a disarmed copy")
        attachment = attachment_disarm(attachment_id=attachment.pk)
    return attachment.disarmed_file.open("rb")


def original_for_record(attachment: Attachment):
    """The upload as it came, open for reading: for an auditor or an administrator only (the
    caller checks and records it)."""
    return attachment.file.open("rb")


def attachments_without_copy(*, batch_size: int = 100) -> Iterator[tuple[int, str]]:
    """Make the missing disarmed copies, oldest first, ``batch_size`` rows read at a time and one
    short transaction each; yields (attachment id, "" or why no copy could be made). Safe to run
    again and while the portal serves: attachments that have a copy are skipped."""
    last = 0
    while True:
        batch = list(Attachment.objects.filter(disarmed_file="", pk__gt=last).order_by("pk")
                     .values_list("pk", flat=True)[:batch_size])
        if not batch:
            return
        for attachment_id in batch:
            try:
                attachment_disarm(attachment_id=attachment_id)
            except Attachment.DoesNotExist:
                continue  # removed meanwhile
            except CopyUnavailable as unavailable:
                yield attachment_id, unavailable.reason
            else:
                yield attachment_id, ""
        last = batch[-1]
