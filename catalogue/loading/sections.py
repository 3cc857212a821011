"""Top-level sections of a catalogue file that an app above the catalogue owns (``finders:``).

The catalogue cannot import those apps, so each registers its section here when Django starts
(its AppConfig.ready). The reader then accepts the key, hands every entry of it to ``check`` once
all files are read (with the checked catalogue, so references to its fields and services can be
checked, and a report per entry that names the file and path); ``apply`` writes the checked data
in the load's transaction, after the services, and says what it did in one line; ``dump`` gives
the section as a file writes it, after the services.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .checks import Report
from .schema import Catalogue

# (report, path, item) of one entry, as the files give it.
Entry = tuple[Report, str, object]


@dataclass(frozen=True)
class Section:
    key: str
    check: Callable[[list[Entry], Catalogue], object]
    apply: Callable[[object], str]
    dump: Callable[[], list]


SECTIONS: dict[str, Section] = {}


def section_register(section: Section) -> None:
    SECTIONS[section.key] = section
