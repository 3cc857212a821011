"""Checking an uploaded file against its schema field: count, size, type by content (libmagic,
never the file name or the browser's content type), then a deep check of that content
(approvals.file_checks), then the disarmed copy people will be given (approvals.disarm), so that
a file no copy can be made of is refused now. The file itself is stored under a server-generated
name; the citizen's file name is kept only as a sanitised display name."""

import hashlib
import os
import re
import unicodedata

import magic
from django.utils.translation import gettext as _

from core.errors import ValidationFailed

from .answers import DEFAULT_FILE_MAX_MB as DEFAULT_MAX_MB
from .answers import field_name, file_messages
from .disarm import disarmed
from .file_checks import FileRefused, check_image, check_pdf

DEFAULT_ACCEPT = ("application/pdf", "image/png", "image/jpeg")
# The only kinds of file we can inspect; a catalogue may list others, they are never accepted.
CHECKED_TYPES = frozenset(DEFAULT_ACCEPT)
MAX_FILES_PER_FIELD = 5
MAX_NAME_LENGTH = 200
SNIFF_BYTES = 8192

_SVG_TAG = re.compile(rb"<svg[\s>/]", re.IGNORECASE)
_TEXTUAL_TYPES = ("text/xml", "application/xml", "text/html", "text/plain")


def check_upload(spec: dict, uploaded, *, existing_count: int = 0) -> dict:
    """Validate one upload for a file field; returns its metadata, with the bytes of its disarmed
    copy under "disarmed", or raises ValidationFailed."""
    key = spec["key"]
    accept = [t for t in (spec.get("accept") or DEFAULT_ACCEPT) if t in CHECKED_TYPES]
    max_mb = spec.get("max_size_mb") or DEFAULT_MAX_MB
    max_bytes = int(float(max_mb) * 1024 * 1024)

    def refuse(message):
        return ValidationFailed({key: [message]})

    messages = file_messages(spec)
    if existing_count >= MAX_FILES_PER_FIELD:
        raise refuse(_("You can attach at most %(n)d files to %(name)s. Remove one before you upload another.")
                     % {"n": MAX_FILES_PER_FIELD, "name": field_name(spec)})
    if not uploaded.size:
        raise refuse(messages["empty"])
    if uploaded.size > max_bytes:
        raise refuse(messages["size"])
    if not accept:
        raise refuse(_("No kind of file can be accepted here. Please contact the service."))
    head = _head(uploaded)
    content_type = magic.from_buffer(head, mime=True)
    if _is_svg(content_type, head):
        raise refuse(_("%(instruction)s SVG images are not accepted, because they can contain scripts.")
                     % {"instruction": messages["type"]})
    if content_type not in accept:
        raise refuse(messages["type"])
    try:
        if content_type == "application/pdf":
            uploaded.seek(0)
            check_pdf(uploaded.read(max_bytes + 1))
        else:
            check_image(uploaded, content_type)
        uploaded.seek(0)
        copy = disarmed(uploaded.read(max_bytes + 1), content_type)
    except FileRefused as refused:
        raise refuse(refused.message)
    finally:
        uploaded.seek(0)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return {"content_type": content_type, "size": uploaded.size, "sha256": digest.hexdigest(),
            "original_name": display_name(uploaded.name), "disarmed": copy}


def display_name(name: str | None) -> str:
    """The citizen's file name as shown to people: no directories, no control or invisible
    formatting characters (NUL, newlines, right-to-left overrides), at most 200 characters with
    the extension kept. Never used as a path."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(" " if unicodedata.category(c) in ("Zl", "Zp") else c for c in name
                   if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join(name.split())
    if name.strip(".") == "":
        return "file"
    if len(name) > MAX_NAME_LENGTH:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 20 else ""
        name = stem[: MAX_NAME_LENGTH - len(ext)] + ext
    return name


def _head(uploaded) -> bytes:
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    return head


def _is_svg(content_type: str, head: bytes) -> bool:
    return content_type == "image/svg+xml" or (content_type in _TEXTUAL_TYPES and bool(_SVG_TAG.search(head)))

