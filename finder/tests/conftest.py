"""The catalogue tests' file fixtures, for the ``finders:`` section of a catalogue file."""

from catalogue.tests.conftest import load, load_errors, write  # noqa: F401
