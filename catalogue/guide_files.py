"""The files a service guide offers (templates, samples): what they may be, their real type read
from their content with libmagic and matched to their name, and their copy in storage.

A file is one of ALLOWED (by its extension) and its content must be of that type: a script named
``form.pdf`` or a zip named ``form.docx`` is refused. Office files are zip packages; libmagic names
a well-formed one by its type, and older versions call it only "zip", so a zip is then accepted
for a DOCX, XLSX or ODT only when the package says so itself ([Content_Types].xml and the
part of that kind, or the ODF ``mimetype`` entry)."""

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

import magic
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from .models import GuideFile, Service

ALLOWED = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
# The package part that makes a zip the office file its name says (libmagic versions that say "zip").
_PACKAGE_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
MAX_BYTES = 10 * 1024 * 1024
# A name people can type and a header can carry as is: no folders, no quotes, no spaces.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,115}\.[A-Za-z0-9]{2,4}$")


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: bytes
    content_type: str
    sha256: str


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _is_package(content: bytes, ext: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = set(package.namelist())
            if ext == "odt":
                return package.read("mimetype").decode("ascii", "replace").strip() == ALLOWED["odt"]
            return "[Content_Types].xml" in names and _PACKAGE_PART[ext] in names
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return False


def content_problem(name: str, content: bytes) -> str | None:
    """Why the file cannot be offered (for the loader's report), or None."""
    ext = extension(name)
    if ext not in ALLOWED:
        return _("%(name)r is not an allowed type of file (allowed: %(types)s)") % {
            "name": name, "types": ", ".join(sorted(ALLOWED))}
    if not content:
        return _("%(name)r is empty") % {"name": name}
    if len(content) > MAX_BYTES:
        return _("%(name)r is larger than %(mb)d MB") % {"name": name, "mb": MAX_BYTES // (1024 * 1024)}
    expected = ALLOWED[ext]
    found = magic.from_buffer(content[:65536] if ext not in _PACKAGE_PART and ext != "odt" else content, mime=True)
    if found == expected:
        return None
    if ext in (*_PACKAGE_PART, "odt") and found in ("application/zip", "application/octet-stream") \
            and _is_package(content, ext):
        return None
    return _("%(name)r is not a %(type)s file: its content is %(found)s") % {
        "name": name, "type": ext.upper(), "found": found}


def checked(name: str, content: bytes) -> CheckedFile:
    return CheckedFile(name=name, content=content, content_type=ALLOWED[extension(name)],
                       sha256=hashlib.sha256(content).hexdigest())


def guide_files_apply(service: Service, files: list[CheckedFile]) -> int:
    """The service's guide files become exactly ``files`` (by name); an unchanged file is not
    written again. Returns how many were stored or removed. Called in the loader's transaction;
    a file stored by a transaction that rolls back is named by no row, and the nightly sweep
    (portal.media_sweep, folder ``guides``) deletes it."""
    existing = {row.name: row for row in service.guide_files.all()}
    changes = 0
    for spec in files:
        row = existing.pop(spec.name, None)
        if row is not None and row.sha256 == spec.sha256:
            continue
        if row is not None:
            row.delete()
        row = GuideFile(service=service, name=spec.name, content_type=spec.content_type, size=len(spec.content),
                        sha256=spec.sha256)
        row.file.save(spec.sha256, ContentFile(spec.content), save=False)
        row.save()
        changes += 1
    if existing:
        GuideFile.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
        changes += len(existing)
    return changes
