"""A backup of the portal: the database (pg_dump, custom format) and every stored file (through the
storage API, so the file system and a bucket alike), in one directory with a manifest naming each
part's size and SHA-256. A restore checks the whole backup against its manifest before it touches
anything, and goes only into an empty database and an empty storage. See docs/backup.md."""

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connection
from django.utils import timezone

from core.secret_files import private_directory
from core.storage import files_modified_before

MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files"
FORMAT = 1
CHUNK = 1024 * 1024
# Every file, whenever written: the listing of the storage filters by date, and nothing is newer.
EVERY_FILE = datetime(9999, 12, 31, tzinfo=UTC)


class BackupError(Exception):
    """The backup cannot be made, is not whole, or the target is not fresh; the message says what."""


@dataclass(frozen=True)
class Part:
    name: str  # relative to the backup directory, "/"-separated
    size: int
    sha256: str


def _libpq(database: dict) -> tuple[list[str], dict]:
    """The connection options of pg_dump and pg_restore for Django's ``database``, the password in
    the environment (never on the command line, where ps shows it)."""
    arguments = ["--host", database.get("HOST") or "127.0.0.1", "--port", str(database.get("PORT") or 5432),
                 "--username", database["USER"], "--dbname", database["NAME"]]
    environment = {**os.environ, "PGPASSWORD": database.get("PASSWORD") or "", "PGCONNECT_TIMEOUT": "10"}
    return arguments, environment


def _private_file(path: Path):
    """A new file for a copy of citizens' data: mode 0600 from the start, never an existing file."""
    private_directory(path.parent)
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _digest(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of the file at ``path``, read a chunk at a time."""
    sha, size = hashlib.sha256(), 0
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


def stored_names(storage: Storage) -> list[str]:
    """Every file of the portal in ``storage``: the folders its file fields write to."""
    return sorted(name for folder in settings.MEDIA_SWEEP_FOLDERS
                  for name in files_modified_before(storage, folder, EVERY_FILE))


def _require_postgresql() -> dict:
    if connection.vendor != "postgresql":
        raise BackupError("Backups are taken of PostgreSQL only (pg_dump); this database is "
                          f"{connection.vendor}.")
    return connection.settings_dict


def backup_create(directory: Path | str, *, storage: Storage = default_storage) -> list[Part]:
    """Dump the database into ``directory`` (new or empty), then copy every stored file, then write
    the manifest. The dump comes first: a file is never replaced once a row names it, so every
    file the dump's rows name is there when the files are copied (files stored after the dump are
    copied too, named by no row: the nightly sweep removes them after a restore)."""
    database = _require_postgresql()
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: a backup goes into a new directory.")
    private_directory(directory)
    arguments, environment = _libpq(database)
    with _private_file(directory / DUMP) as dump:
        done = subprocess.run(["pg_dump", "--format=custom", *arguments], stdout=dump, stderr=subprocess.PIPE,
                              env=environment, timeout=settings.BACKUP_TIMEOUT_SECONDS)
    if done.returncode:
        raise BackupError(f"pg_dump failed ({done.returncode}): {done.stderr.decode(errors='replace').strip()}")
    parts = [Part(DUMP, *_digest(directory / DUMP))]
    for name in stored_names(storage):
        sha, size = hashlib.sha256(), 0
        with storage.open(name, "rb") as source, _private_file(directory / FILES / name) as copy:
            while chunk := source.read(CHUNK):
                sha.update(chunk)
                size += len(chunk)
                copy.write(chunk)
        parts.append(Part(f"{FILES}/{name}", size, sha.hexdigest()))
    manifest = {"format": FORMAT, "created_at": timezone.now().isoformat(),
                "parts": {part.name: {"size": part.size, "sha256": part.sha256} for part in parts}}
    # Written last: a directory without a manifest is a backup that did not finish.
    with _private_file(directory / MANIFEST) as file:
        file.write(json.dumps(manifest, indent=1, sort_keys=True).encode())
    return parts


def backup_check(directory: Path | str) -> list[Part]:
    """The parts of the backup in ``directory``, each read whole and compared with the manifest;
    BackupError naming every part missing, changed, truncated or not in the manifest."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        listed = manifest["parts"]
    except FileNotFoundError:
        raise BackupError(f"{directory} has no {MANIFEST}: not a backup, or one that did not finish.") from None
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"{directory / MANIFEST} is not a manifest this portal wrote ({error}).") from None
    if manifest.get("format") != FORMAT or DUMP not in listed:
        raise BackupError(f"{directory / MANIFEST} is not a manifest of format {FORMAT} with a database dump.")
    problems, parts = [], []
    for name, expected in sorted(listed.items()):
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        size, sha256 = _digest(path)
        if size != expected["size"]:
            problems.append(f"{name}: {size} bytes where the manifest says {expected['size']} (truncated or changed)")
        elif sha256 != expected["sha256"]:
            problems.append(f"{name}: its SHA-256 differs from the manifest's (changed)")
        parts.append(Part(name, size, sha256))
    present = {path.relative_to(directory).as_posix() for path in directory.rglob("*") if path.is_file()}
    problems += [f"{name}: not in the manifest" for name in sorted(present - set(listed) - {MANIFEST})]
    if problems:
        raise BackupError("The backup does not match its manifest; nothing was restored.\n" + "\n".join(problems))
    return parts


def _require_fresh(storage: Storage) -> None:
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(f"The database {connection.settings_dict['NAME']} already has {len(tables)} tables: "
                          f"restore into a new, empty database.")
    if taken := stored_names(storage):
        raise BackupError(f"The storage already holds {len(taken)} of the portal's files ({taken[0]}, …): "
                          f"restore into an empty storage.")


def backup_restore(directory: Path | str, *, storage: Storage = default_storage) -> list[Part]:
    """Check the backup in ``directory`` whole, then restore its database into the (empty) database
    of the settings, as its owner, and its files into the (empty) ``storage``. The privileges are
    left out of the restore: ``manage.py db_roles`` grants the application role what the
    migrations' owner grants it, and nothing a dump might carry from elsewhere."""
    database = _require_postgresql()
    parts = backup_check(directory)
    _require_fresh(storage)
    directory = Path(directory)
    arguments, environment = _libpq(database)
    done = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                           *arguments, str(directory / DUMP)], capture_output=True, env=environment,
                          timeout=settings.BACKUP_TIMEOUT_SECONDS)
    if done.returncode:
        raise BackupError(f"pg_restore failed ({done.returncode}): {done.stderr.decode(errors='replace').strip()}")
    for part in parts:
        if not part.name.startswith(f"{FILES}/"):
            continue
        name = part.name.removeprefix(f"{FILES}/")
        with (directory / part.name).open("rb") as file:
            stored = storage.save(name, File(file))
        if stored != name:
            raise BackupError(f"The storage kept {name} as {stored}: restore into an empty storage.")
    return parts
