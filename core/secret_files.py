"""Files that hold keys and secrets: mode 0600, in directories of mode 0700, from the moment they
exist. A chmod after writing would leave a moment in which the secret is readable by others."""

import os
import secrets
from pathlib import Path

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def private_directory(path: Path | str) -> Path:
    """``path`` as a directory, created with mode 0700 when missing (an existing one is left as it is)."""
    path = Path(path)
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    return path


def _scratch_copy(path: Path, data: bytes) -> Path:
    """``data`` in a new file beside ``path`` (``.<name>.<random>``), created with mode 0600
    (O_CREAT|O_EXCL: never an existing file, never a wider mode) and flushed to disk."""
    private_directory(path.parent)
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    return scratch


def create_private_file(path: Path | str, data: bytes) -> bool:
    """Write ``data`` to a new file at ``path``, mode 0600, whole or not at all: it is written under
    a temporary name and linked into place, so a reader never sees half of it. False, and nothing
    changed, when ``path`` exists already (another process created it first)."""
    path = Path(path)
    scratch = _scratch_copy(path, data)
    try:
        os.link(scratch, path)
    except FileExistsError:
        return False
    finally:
        scratch.unlink(missing_ok=True)
    return True


def replace_private_file(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path``, mode 0600, replacing what is there in one step (a rename): a
    reader sees the old file or the new one, whole."""
    path = Path(path)
    scratch = _scratch_copy(path, data)
    try:
        os.replace(scratch, path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise


def append_private_file(path: Path | str, data: bytes) -> None:
    """Append ``data`` to ``path`` in one write (O_APPEND), creating it with mode 0600 when missing."""
    path = Path(path)
    private_directory(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        written = os.write(descriptor, data)
        if written != len(data):
            raise OSError(f"{path}: {written} of {len(data)} bytes appended")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
