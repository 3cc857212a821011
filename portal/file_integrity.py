"""Whether every stored file the rows describe is there and is what its row's SHA-256 says: the
permits' PDFs, and the citizens' uploads and their disarmed copies. Run after a restore
(``manage.py verify_files``), and whenever a storage is in doubt."""

import hashlib
from collections.abc import Iterator

from django.core.files.storage import default_storage

from approvals.models import Attachment
from permits.models import Permit

CHUNK = 1024 * 1024


def _sha256(name: str) -> str:
    sha = hashlib.sha256()
    with default_storage.open(name, "rb") as file:
        while chunk := file.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _described() -> Iterator[tuple[str, str, str]]:
    """(what, file name, SHA-256 on record) of every file a row names."""
    for number, name, sha256 in Permit.objects.exclude(file="").order_by("pk").values_list("number", "file", "sha256"):
        yield f"permit {number}", name, sha256
    rows = Attachment.objects.order_by("pk").values_list("pk", "file", "sha256", "disarmed_file", "disarmed_sha256")
    for pk, name, sha256, disarmed, disarmed_sha256 in rows.iterator(chunk_size=1000):
        yield f"attachment {pk}", name, sha256
        if disarmed:
            yield f"attachment {pk} (disarmed copy)", disarmed, disarmed_sha256


def files_verify() -> tuple[int, list[str]]:
    """How many files were checked, and a line for each one missing or differing from its row."""
    checked, problems = 0, []
    for what, name, sha256 in _described():
        checked += 1
        try:
            found = _sha256(name)
        except FileNotFoundError:
            problems.append(f"{what}: {name} is missing")
            continue
        if found != sha256:
            problems.append(f"{what}: {name} has SHA-256 {found}, its row says {sha256}")
    return checked, problems
