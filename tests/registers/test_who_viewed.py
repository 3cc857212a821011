""""Who viewed my data" lists the registers that gave the portal the citizen's data, by their
names, in a constant number of queries however many there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import workflow
from approvals.events import engine_event
from audit.models import Action
from audit.services import audit_record
from tests.factories import UserFactory

from .catalogue import load_sign_service

pytestmark = pytest.mark.django_db
URL = reverse("approvals:who_viewed")


def lookup_event(application, register, attributes, outcome="found"):
    event = engine_event(Action.REGISTER_LOOKUP, application, purpose="register_lookup", register=register,
                         outcome=outcome, attributes=attributes)
    event.actor_label = f"{register} register"
    return event


def test_register_answers_are_listed_by_register_in_constant_queries(client, tmp_path):
    person = UserFactory(email="li.lei@example.org", full_name="Li Lei")
    application = workflow.application_start(applicant=person, service=load_sign_service(tmp_path))
    client.force_login(person)
    audit_record(lookup_event(application, "company", ["registered_name"]))
    client.get(URL)  # the first request of a session also writes it
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(URL).context["accesses"]) == 1
    audit_record(lookup_event(application, "population", ["registered_residence"]),
                 lookup_event(application, "address", ["land_use_class"]),
                 lookup_event(application, "company", [], outcome="mismatch"))
    with CaptureQueriesContext(connection) as four:
        accesses = client.get(URL).context["accesses"]
    assert [(a.staff_name, a.staff_role, a.department, a.action, a.reference) for a in accesses] == [
        ("Company register", "Government register", "",
         "Answered the portal's question about your application; its answer named someone else and was not used", "Draft"),
        ("Address register", "Government register", "", "Gave the portal your land-use class for your application", "Draft"),
        ("Population register", "Government register", "",
         "Gave the portal your registered residence for your application", "Draft"),
        ("Company register", "Government register", "", "Gave the portal your registered name for your application",
         "Draft"),
    ]
    assert len(four) == len(one), "\n".join(q["sql"] for q in four.captured_queries)


def test_a_failed_lookup_and_another_persons_are_not_listed(client, tmp_path):
    person, other = UserFactory(email="li.lei@example.org"), UserFactory(email="zhao@example.org")
    service = load_sign_service(tmp_path)
    mine, theirs = (workflow.application_start(applicant=p, service=service) for p in (person, other))
    failed = lookup_event(mine, "company", ["registered_name"], outcome="unavailable")
    failed.action = Action.REGISTER_LOOKUP_FAILED
    audit_record(failed, lookup_event(theirs, "company", ["registered_name"]))
    client.force_login(person)
    assert client.get(URL).context["accesses"] == []
