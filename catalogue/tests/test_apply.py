"""The apply step on its own: checked data in, rows out, in one transaction."""

import pytest
from django.db import DatabaseError

from catalogue.loading import apply
from catalogue.loading.reader import catalogue_parse

from .conftest import BASE, counts, state

pytestmark = pytest.mark.django_db


def test_apply_writes_parsed_data_and_a_second_apply_changes_nothing(write):
    catalogue = catalogue_parse(paths=[write("base.yaml", BASE)])

    first = apply.catalogue_apply(catalogue=catalogue)
    after_first = state()
    second = apply.catalogue_apply(catalogue=catalogue)

    assert (str(first.departments), str(first.fields), str(first.services), first.published) == (
        "3 created, 0 updated, 0 unchanged", "5 created, 0 updated, 0 unchanged", "3 created, 0 updated, 0 unchanged",
        ["open-a-restaurant v1", "open-a-cafe v1", "extend-opening-hours v1"])
    assert (str(second.services), second.published, second.calendar_changed) == ("0 created, 0 updated, 3 unchanged", [], False)
    assert state() == after_first


def test_a_failure_while_applying_writes_nothing(write, monkeypatch):
    catalogue = catalogue_parse(paths=[write("base.yaml", BASE)])
    before = counts()

    def fail(*, service):
        raise DatabaseError("disk full")

    monkeypatch.setattr(apply, "service_publish", fail)
    with pytest.raises(DatabaseError):
        apply.catalogue_apply(catalogue=catalogue)

    assert counts() == before
    assert before["departments"] == 0
