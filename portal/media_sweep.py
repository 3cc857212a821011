"""Stored files that no row names: the upload of a transaction that rolled back (the file is
written before the row commits), or what a crash left behind. They hold citizens' data, so a
nightly sweep deletes them once they are older than MEDIA_SWEEP_GRACE_HOURS: a file that young
may belong to a transaction still open. Only the folders the portal's file fields write to are
swept (MEDIA_SWEEP_FOLDERS), on the file system or in the bucket alike (through the storage API);
names are checked against every file field, a batch at a time, so the sweep needs no more memory
for a million files than for ten."""

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone

from core.storage import files_modified_before

log = logging.getLogger(__name__)

BATCH = 1000


def _file_fields() -> list[tuple[type[models.Model], str]]:
    return [(model, field.name) for model in apps.get_models() for field in model._meta.get_fields()
            if isinstance(field, models.FileField)]


def _named(names: list[str]) -> set[str]:
    """Which of ``names`` a row of any model names in any of its file fields."""
    found = set()
    for model, field in _file_fields():
        found.update(model._default_manager.filter(**{f"{field}__in": names}).values_list(field, flat=True))
    return found


def _old_files(storage, cutoff: datetime) -> Iterator[str]:
    for folder in settings.MEDIA_SWEEP_FOLDERS:
        yield from files_modified_before(storage, folder, cutoff)


def media_sweep(*, dry_run: bool = False, now: datetime | None = None) -> list[str]:
    """Delete (or only list, ``dry_run``) the files older than the grace period that no row
    names; returns their names in the default storage."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.MEDIA_SWEEP_GRACE_HOURS)
    swept = []
    candidates = _old_files(default_storage, cutoff)
    while batch := list(islice(candidates, BATCH)):
        for name in sorted(set(batch) - _named(batch)):
            if not dry_run:
                default_storage.delete(name)
            swept.append(name)
    if swept and not dry_run:
        log.info("Deleted %s files no row names (older than %s h)", len(swept), settings.MEDIA_SWEEP_GRACE_HOURS)
    return swept
