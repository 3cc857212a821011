"""The staff's permit list and pages follow the one rule the permit actions follow
(approvals.access.may_manage_permit): an active administrator, or an active supervisor through a
supervisor membership of a department that approved the application. A supervisor whose account
was deactivated, or whose role is no longer supervisor, sees no permit, and a permit's page is a
404 on record."""

import pytest
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Role
from approvals.access import may_manage_permit
from approvals.permit_flow import permit_reissue_propose
from audit.models import Action, AuditEvent
from permits import selectors
from tests.factories import UserFactory
from workspace import permit_views

from .conftest import OUTSIDERS, outsider

pytestmark = pytest.mark.django_db


def deactivated(user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


def demoted(user):
    """Their account's role changed to officer; the supervisor membership row is left behind."""
    user.role = Role.OFFICER
    user.save(update_fields=["role"])
    return user


def as_request(user, path: str):
    """A GET of ``path`` by ``user``, through the session and messages middleware: whatever
    signed the person in, the pages must check for themselves."""
    request = RequestFactory().get(path)
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    MessageMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = user
    return request


def test_a_deactivated_supervisor_sees_no_permit_in_the_list(issued_permit, officers):
    fire = officers["fire_supervisor"]
    permit_reissue_propose(permit_id=issued_permit.pk, actor=officers["health_supervisor"],
                           corrections={"business_name": "Golden Dragon Inn"}, reason="Renamed.")
    assert [p.number for p in selectors.staff_permits(fire)[0]] == [issued_permit.number]
    assert selectors.waiting_corrections_count(fire) == 1

    deactivated(fire)
    assert selectors.staff_permits(fire) == ([], None)
    assert selectors.staff_permits(fire, query=issued_permit.number) == ([], None)
    assert selectors.waiting_corrections(fire) == ([], None)
    assert selectors.waiting_corrections_count(fire) == 0


def test_a_deactivated_supervisor_gets_404_on_a_permit_and_a_correction_and_is_on_record(issued_permit, officers):
    fire = officers["fire_supervisor"]
    request = permit_reissue_propose(permit_id=issued_permit.pk, actor=officers["health_supervisor"],
                                     corrections={"business_name": "Golden Dragon Inn"}, reason="Renamed.")
    deactivated(fire)
    manage = reverse("permits:manage", args=[issued_permit.number])
    correction = reverse("permits:reissue_request", args=[request.pk])
    with pytest.raises(Http404):
        permit_views.manage(as_request(fire, manage), issued_permit.number)
    with pytest.raises(Http404):
        permit_views.correction(as_request(fire, correction), request.pk)
    with pytest.raises(Http404):
        permit_views.manage_list(as_request(fire, reverse("permits:manage_list")))
    assert list(AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=fire).order_by("pk")
                .values_list("object_type", "object_id", "details__path")) == [
        ("permit", issued_permit.number, manage), ("permit_correction", str(request.pk), correction),
        ("permit", "list", reverse("permits:manage_list"))]


def test_a_supervisor_whose_role_changed_gets_404_on_the_permit_page_and_is_on_record(client, issued_permit, officers):
    fire = demoted(officers["fire_supervisor"])
    client.force_login(fire)
    assert client.get(reverse("permits:manage", args=[issued_permit.number])).status_code == 404
    assert client.get(reverse("permits:manage_list")).status_code == 404
    assert selectors.staff_permits(fire) == ([], None)
    assert list(AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=fire).order_by("pk")
                .values_list("object_type", "object_id")) == [("permit", issued_permit.number), ("permit", "list")]


@pytest.mark.parametrize("who", [*OUTSIDERS, "supervisor", "administrator", "deactivated", "demoted",
                                 "deactivated_administrator"])
def test_the_list_shows_a_permit_exactly_to_whoever_may_manage_it(who, issued_permit, officers, citizen):
    user = {
        "supervisor": lambda: officers["tax_supervisor"],
        "administrator": lambda: UserFactory(email="root@example.gov", role=Role.ADMIN),
        "deactivated": lambda: deactivated(officers["tax_supervisor"]),
        "demoted": lambda: demoted(officers["tax_supervisor"]),
        "deactivated_administrator": lambda: deactivated(UserFactory(email="root@example.gov", role=Role.ADMIN)),
    }.get(who, lambda: outsider(who, officers, citizen))()
    listed = [p.pk for p in selectors.staff_permits(user)[0]]
    manages = who in ("supervisor", "administrator")
    assert may_manage_permit(user, issued_permit) is manages
    assert listed == ([issued_permit.pk] if manages else [])
