"""Every officer URL against every kind of visitor. Anonymous visitors go to the login page;
citizens, managers and officers of another department get a 404 (references cannot be probed);
a plain officer asking for a supervisor's action of their own department gets a 403. Every
refusal is logged as ACCESS_DENIED with the path, and changes nothing else."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Role
from approvals import sharing, workflow
from approvals.models import ApplicationShare, ApplicationUserObjectPermission, InternalNote, Review
from audit.models import Action, AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "citizen", "officer", "other_officer", "supervisor", "manager"]

# name → (method, expected status by role). "officer"/"supervisor" are health's (the reviewing
# department), "other_officer" is tax's (the department health shared the application with).
DENIED_404 = {"anonymous": 302, "citizen": 404, "other_officer": 404, "manager": 404}
MATRIX = {
    "review": ("get", {**DENIED_404, "officer": 200, "supervisor": 200}),
    "claim": ("post", {**DENIED_404, "officer": 302, "supervisor": 302}),
    "release": ("post", {**DENIED_404, "officer": 302, "supervisor": 302}),
    "decide": ("post", {**DENIED_404, "officer": 302, "supervisor": 302}),
    "message": ("post", {**DENIED_404, "officer": 302, "supervisor": 302}),
    "attachment": ("get", {**DENIED_404, "officer": 200, "supervisor": 200}),
    "note_add": ("post", {**DENIED_404, "officer": 302, "supervisor": 302}),
    "extend": ("post", {**DENIED_404, "officer": 403, "supervisor": 302}),
    "share": ("post", {**DENIED_404, "officer": 403, "supervisor": 302}),
    "share_revoke": ("post", {**DENIED_404, "officer": 403, "supervisor": 302}),
    "opinion": ("get", {"anonymous": 302, "citizen": 404, "officer": 404, "other_officer": 200, "supervisor": 404,
                        "manager": 404}),
    "shared": ("get", {"anonymous": 302, "citizen": 404, "officer": 200, "other_officer": 200, "supervisor": 200,
                       "manager": 404}),
    "queue": ("get", {"anonymous": 302, "citizen": 404, "officer": 200, "other_officer": 200, "supervisor": 200,
                      "manager": 404}),
}
CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.fixture
def world(submit, citizen, officers):

    application = submit()
    workflow.application_route(application_ids=[application.pk])
    review = application.reviews.select_related("department").get(department__code="health")
    tax = application.reviews.get(department__code="tax")
    share = sharing.application_share(review_id=review.pk, actor=officers["health_supervisor"],
                                      department_id=tax.department_id, days=5, reason="Opinion on the name")
    users = {
        "anonymous": None, "citizen": citizen, "officer": officers["health"], "other_officer": officers["tax"],
        "supervisor": officers["health_supervisor"],
        "manager": UserFactory(email="manager@example.gov", role=Role.MANAGER),
    }
    return {"application": application, "review": review, "share": share, "users": users,
            "other_department_id": officers["fire"].memberships.get().department_id}


def request_for(name, world):
    review, share = world["review"], world["share"]
    attachment = world["application"].attachments.get()
    args = {
        "attachment": [review.pk, attachment.pk], "opinion": [share.pk], "share_revoke": [share.pk],
        "shared": [], "queue": [],
    }.get(name, [review.pk])
    data = {
        "decide": {"decision": "approve", "conditions": "Keep exits clear", "version": review.version, "confirm": "1"},
        "message": {"body": "Please send a clearer plan."},
        "note_add": {"body": "Looks fine so far."},
        "extend": {"extend-due_date": "2099-01-01", "extend-reason": "Site visit"},
        "share": {"share-department": world["other_department_id"], "share-days": 3, "share-reason": "Fire view?"},
    }.get(name, {})
    return reverse(f"departments:{name}", args=args), data


def snapshot(application):
    return {
        "reviews": list(Review.objects.filter(application=application).order_by("pk").values()),
        "notes": list(InternalNote.objects.order_by("pk").values()),
        "shares": list(ApplicationShare.objects.order_by("pk").values()),
        "perms": sorted(ApplicationUserObjectPermission.objects.values_list("user_id", "permission_id", "content_object_id")),
        "audit": list(AuditEvent.objects.exclude(action=Action.ACCESS_DENIED).order_by("pk").values_list("pk", flat=True)),
    }


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_permission_matrix(client, world, name, role):
    method, expected = MATRIX[name]
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    url, data = request_for(name, world)
    before = snapshot(world["application"])
    denied_before = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count()

    response = getattr(client, method)(url, data)

    assert response.status_code == expected[role], response.content.decode()[:500]
    if expected[role] not in (200, 302) or (role == "anonymous"):
        assert snapshot(world["application"]) == before
    if role == "anonymous":
        assert response.url.startswith(reverse(settings.LOGIN_URL))
        assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count() == denied_before
    elif expected[role] in (403, 404):
        denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).order_by("pk")
        assert denied.count() == denied_before + 1
        event = denied.last()
        assert event.actor == user and event.details["path"] == url
    else:
        assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count() == denied_before


def test_allowed_requests_do_what_they_say(client, world):
    """The matrix's allowed cells really act (so a denial that changes nothing is meaningful)."""
    review, supervisor = world["review"], world["users"]["supervisor"]
    client.force_login(supervisor)
    url, data = request_for("decide", world)
    assert client.post(url, data).status_code == 302
    review.refresh_from_db()
    assert review.status == "approved" and review.conditions == "Keep exits clear"
