"""Watching the modes of files while they are written.

At every file operation the process makes (Python's audit events: open, chmod, rename, link,
remove, mkdir …) the mode of every file and directory under a root is noted, and once more at the
end. A file written and then chmod'ed is seen with its first, wider mode at the chmod; a file
created with its mode (os.open with O_CREAT|O_EXCL and 0600) is never seen with another."""

import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

EVENTS = frozenset({"open", "os.chmod", "os.chown", "os.rename", "os.link", "os.symlink", "os.remove", "os.mkdir",
                    "os.rmdir", "os.truncate", "os.utime"})
_watched: list[tuple[str, dict]] = []
_looking = threading.local()
_installed = False


def _look(event: str, _args) -> None:
    if not _watched or event not in EVENTS or getattr(_looking, "now", False):
        return
    _looking.now = True  # os.walk raises audit events of its own
    try:
        for root, seen in _watched:
            for directory, dirnames, filenames in os.walk(root):
                for name in (*dirnames, *filenames):
                    path = os.path.join(directory, name)
                    try:
                        mode = os.lstat(path).st_mode & 0o777
                    except FileNotFoundError:  # removed meanwhile
                        continue
                    seen.setdefault(path, set()).add(mode)
    finally:
        _looking.now = False


@contextmanager
def modes_seen(root: Path | str, *, umask: int = 0o022):
    """Yields {path under ``root``: every mode it was seen with}, filled while the block runs with
    ``umask`` (the usual one, under which a file is created readable by everyone)."""
    global _installed
    if not _installed:  # an audit hook cannot be removed: one, idle while nothing is watched
        sys.addaudithook(_look)
        _installed = True
    seen: dict[str, set[int]] = {}
    entry = (str(root), seen)
    previous = os.umask(umask)
    _watched.append(entry)
    try:
        yield seen
    finally:
        _look("os.utime", ())  # how everything ended up
        _watched.remove(entry)
        os.umask(previous)


def modes_of(seen: dict, path: Path | str) -> set[int]:
    """Every mode ``path`` was seen with, and with it the temporary files it was written as
    (``.<name>.<random>`` beside it, as core.secret_files writes them)."""
    path = Path(path)
    scratch = f"{path.parent}{os.sep}.{path.name}."
    return {mode for name, modes in seen.items() if name == str(path) or name.startswith(scratch) for mode in modes}
