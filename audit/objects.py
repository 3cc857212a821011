"""What the objects named by audit events are, in words, read in bulk.

The audit app sits below the apps whose objects it records and never imports them. Each owning
app registers one reader per kind of object (in its ``AppConfig.ready``): given the ids or codes
on a page of the log, it answers a name for each in one query. The auditor's page then names a
whole page of events with one read per kind, however many events it shows."""

from collections.abc import Callable, Iterable

# ids or codes (as the events store them: text) -> name; missing ones are simply left out.
Reader = Callable[[set[str]], dict[str, str]]

APPLICATION_REFERENCE = "application"  # application id -> reference
REVIEW_DEPARTMENT = "review"  # review id -> its department's code
PERMIT_NUMBER = "permit"  # permit id -> permit number
DEPARTMENT_NAME = "department"  # department code -> name in the active language

_readers: dict[str, Reader] = {}


def register_reader(kind: str, reader: Reader) -> None:
    _readers[kind] = reader


def read_names(kind: str, keys: Iterable) -> dict[str, str]:
    keys = {str(key) for key in keys if key not in (None, "")}
    reader = _readers.get(kind)
    return reader(keys) if reader and keys else {}


def numeric(keys: set[str]) -> list[int]:
    """The keys that can be row ids (a refused access records what was typed, e.g. a permit number)."""
    return [int(key) for key in keys if key.isdigit() and len(key) < 19]
