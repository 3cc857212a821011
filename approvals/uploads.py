"""Checking an uploaded file against its schema field: type by content (libmagic, never the
file name), size, and count; then storing it under a server-generated name."""

import hashlib

import magic
from django.utils.translation import gettext as _

from .errors import ValidationFailed

DEFAULT_ACCEPT = ("application/pdf", "image/png", "image/jpeg")
DEFAULT_MAX_MB = 10
MAX_FILES_PER_FIELD = 5
SNIFF_BYTES = 8192


def sniff_content_type(uploaded) -> str:
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    return magic.from_buffer(head, mime=True)


def check_upload(spec: dict, uploaded, *, existing_count: int = 0) -> dict:
    """Validate one upload for a file field; returns its metadata or raises ValidationFailed."""
    key = spec["key"]
    accept = spec.get("accept") or DEFAULT_ACCEPT
    max_bytes = int(float(spec.get("max_size_mb") or DEFAULT_MAX_MB) * 1024 * 1024)
    if existing_count >= MAX_FILES_PER_FIELD:
        raise ValidationFailed({key: [_("You can attach at most %(n)d files here.") % {"n": MAX_FILES_PER_FIELD}]})
    if uploaded.size == 0:
        raise ValidationFailed({key: [_("The file is empty.")]})
    if uploaded.size > max_bytes:
        limit = spec.get("max_size_mb") or DEFAULT_MAX_MB
        raise ValidationFailed({key: [_("The file is larger than %(mb)s MB.") % {"mb": limit}]})
    content_type = sniff_content_type(uploaded)
    if content_type not in accept:
        raise ValidationFailed({key: [_("This kind of file is not accepted here. Accepted: %(types)s.") % {
            "types": ", ".join(_label(t) for t in accept)}]})
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    name = (uploaded.name or "file").replace("\x00", "")[-200:]
    return {"content_type": content_type, "size": uploaded.size, "sha256": digest.hexdigest(), "original_name": name}


def _label(content_type: str) -> str:
    return {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}.get(content_type, content_type)
