"""Where the portal's files live: the file system under MEDIA_ROOT, or a private bucket of an
S3-compatible object store (portal.settings.storages picks one from the environment). Code reads
and writes files only through Django's storage API (open, save, delete, size), never by a path on
local disk, so web servers and workers on different hosts see the same files.

Every file is private: citizens' uploads, permits, consents and bank statements reach people only
through the portal's views, which check who asks and record it. Neither backend ever hands out a
link to a file: the file system's MEDIA_URL is served by nothing, and the bucket's URLs are
unsigned, so the bucket's own access rules refuse them."""

from collections.abc import Iterator
from datetime import datetime

from django.core.files.storage import Storage


def files_modified_before(storage: Storage, folder: str, cutoff: datetime) -> Iterator[str]:
    """Names of the files under ``folder`` (recursively) of ``storage`` last written before
    ``cutoff`` (an aware datetime); nothing when the folder does not exist."""
    own = getattr(storage, "files_modified_before", None)
    if own is not None:
        yield from own(folder, cutoff)
        return
    try:
        directories, names = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        path = f"{folder}/{name}"
        try:
            if storage.get_modified_time(path) < cutoff:
                yield path
        except FileNotFoundError:  # deleted meanwhile
            continue
    for directory in directories:
        yield from files_modified_before(storage, f"{folder}/{directory}", cutoff)
