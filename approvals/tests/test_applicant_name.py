"""Reviews carry their applicant's name for the queues (Review.applicant_name): copied at
submission onto the reviews of departments shown the name (need to know), kept current on a
rename, backfilled by the migration that added it and taken off the others by the one that
brought need to know to names."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from accounts.models import Role
from approvals.applicants import applicant_name_sync, applicant_profile_update
from approvals.models import Review
from catalogue.models import ServiceVersion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("approvals.migrations.0009_review_applicant_name")
need_to_know_migration = importlib.import_module("approvals.migrations.0017_grants_by_share_and_names_by_need")


def names(application):
    return sorted(set(application.reviews.values_list("applicant_name", flat=True)))


def by_department(application) -> dict[str, str]:
    return dict(application.reviews.values_list("department__code", "applicant_name"))


def test_submission_copies_the_name_onto_the_reviews_of_departments_shown_it(submit, citizen):
    application = submit()
    # tests.factories.REVIEWS: health's requirement lists none of the applicant's identity.
    assert by_department(application) == {"registration": "Wang Fang", "health": "", "tax": "Wang Fang",
                                          "fire": "Wang Fang"}


def test_a_profile_rename_updates_the_applicants_reviews_and_no_one_elses(submit, citizen):
    mine, theirs = submit(), submit(applicant=UserFactory(email="other@example.org", full_name="Other Person"))
    applicant_profile_update(user=citizen, full_name="  Zhou   Min ")
    assert by_department(mine) == {"registration": "Zhou Min", "health": "", "tax": "Zhou Min", "fire": "Zhou Min"}
    assert names(theirs) == ["", "Other Person"]
    # Saving the same name again writes no review.
    assert applicant_name_sync(citizen) == 0


def test_a_rename_in_the_admin_site_updates_the_reviews(client, submit, citizen):
    application = submit()
    client.force_login(UserFactory(email="root@example.gov", role=Role.ADMIN, is_staff=True, is_superuser=True))
    url = reverse("admin:accounts_user_change", args=[citizen.pk])
    form = client.get(url).context["adminform"].form
    # The change form as loaded (read-only dates and the password hash left out), with a new name.
    data = {name: value for name, value in form.initial.items()
            if value is not None and name not in ("password", "last_login", "date_joined")}
    data.update(full_name="Renamed In Admin", groups=[], user_permissions=[])
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert names(application) == ["", "Renamed In Admin"]


def test_the_migration_copies_every_reviews_applicant_name(submit, citizen):
    application = submit()
    other = submit(applicant=UserFactory(email="other@example.org", full_name="李娜"))
    Review.objects.update(applicant_name="")
    with connection.cursor() as cursor:  # the test's own rows' deferred checks, before CREATE INDEX
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as schema_editor:
        migration.copy_names(apps, schema_editor)
    assert (names(application), names(other)) == ([citizen.full_name], ["李娜"])


def test_the_need_to_know_migration_takes_the_name_off_reviews_of_departments_not_shown_it(submit, citizen):
    application = submit()
    Review.objects.update(applicant_name=citizen.full_name)  # every review carried the name before

    need_to_know_migration.names_by_need_to_know(apps, None)

    assert by_department(application) == {"registration": "Wang Fang", "health": "", "tax": "Wang Fang",
                                          "fire": "Wang Fang"}
    # A version published before reviews listed identity shows none: its reviews keep no name.
    frozen = application.service_version.schema
    frozen["reviews"] = [{k: v for k, v in r.items() if k != "identity"} for r in frozen["reviews"]]
    ServiceVersion.objects.filter(pk=application.service_version_id).update(schema=frozen)
    Review.objects.update(applicant_name=citizen.full_name)

    need_to_know_migration.names_by_need_to_know(apps, None)

    assert names(application) == [""]
