"""Every refusal is on record as ``access.denied``: the API's 401s (with no user, and the token's
prefix when it parses, never the token), a token of the wrong kind, another department's review
in the queue, staff on the citizens' pages. A storm of refusals writes one event a minute per
address and reason, and the next event counts the ones left out."""

import time
import uuid

import pytest
from django.urls import reverse

from api.services import api_token_create, api_token_revoke
from api.tests.conftest import Api, department_token
from approvals.models import Review
from audit.models import Action, AuditEvent
from tests.factories import UserFactory
from tests.services import redis_url
from workspace.tests.queue_helpers import make_review

pytestmark = pytest.mark.django_db

CLEAR = "pt_0123456789_" + "s3cr3t-" * 6  # a well-formed token that no one was given


def denied() -> list[tuple]:
    return [(e.actor_id, e.actor_label, e.object_type, e.object_id, e.subject_id, e.application_id, e.ip, e.details)
            for e in AuditEvent.objects.filter(action=Action.ACCESS_DENIED).order_by("pk")]


def api_with(header: str | None, address: str = "127.0.0.1") -> Api:
    api = Api()
    api.client.defaults["REMOTE_ADDR"] = address
    if header is not None:
        api.client.credentials(HTTP_AUTHORIZATION=header)
    return api


# --- The API: 401 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "reason", "token"), [
    (None, "no_token", None),
    ("Bearer", "malformed_header", None),
    ("Token pt_x", "malformed_header", None),
    ("Bearer pt_a pt_b", "malformed_header", None),
    ("Basic dXNlcjpwYXNz", "malformed_header", None),
    ("Bearer not-a-portal-token", "unknown_token", None),
    ("Bearer pt_é", "unknown_token", None),
    (f"Bearer {CLEAR}", "unknown_token", "0123456789"),
])
def test_a_401_is_on_record_with_no_user_and_never_the_token(restaurant, header, reason, token):
    response = api_with(header).get("/api/v1/reviews/")
    assert response.status_code == 401
    details = {"path": "/api/v1/reviews/", "reason": reason, **({"token": token} if token else {})}
    assert denied() == [(None, "anonymous", "url", "/api/v1/reviews/", None, None, "127.0.0.1", details)]
    assert "s3cr3t" not in str(AuditEvent.objects.values_list("details", flat=True))


def test_a_revoked_token_and_a_deactivated_account_are_named_by_prefix(restaurant, citizen):
    revoked, revoked_clear = department_token("tax")
    api_token_revoke(token_id=revoked.pk)
    inactive, inactive_clear = api_token_create(kind="citizen", name="old phone", user=citizen)
    citizen.is_active = False
    citizen.save(update_fields=["is_active"])
    assert api_with(f"Bearer {revoked_clear}").get("/api/v1/reviews/").status_code == 401
    assert api_with(f"Bearer {inactive_clear}").get("/api/v1/applications/").status_code == 401
    assert denied() == [
        (None, "anonymous", "url", "/api/v1/reviews/", None, None, "127.0.0.1",
         {"path": "/api/v1/reviews/", "reason": "revoked_token", "token": revoked.prefix}),
        (None, "anonymous", "url", "/api/v1/applications/", None, None, "127.0.0.1",
         {"path": "/api/v1/applications/", "reason": "inactive_account", "token": inactive.prefix}),
    ]


# --- The API: 403 and 404 ---------------------------------------------------------------------------


def test_a_token_of_the_wrong_kind_is_on_record_with_the_token(restaurant, citizen, submit):
    citizen_token, citizen_clear = api_token_create(kind="citizen", name="my phone", user=citizen)
    desk, desk_clear = api_token_create(kind="front_desk", name="counter 3")
    tax, tax_clear = department_token("tax")
    review = submit().reviews.get(department__code="tax")
    calls = [(citizen_token, citizen_clear, "get", f"/api/v1/reviews/{review.pk}/"),
             (desk, desk_clear, "post", f"/api/v1/reviews/{review.pk}/claim/"),
             (tax, tax_clear, "get", "/api/v1/applications/"),
             (tax, tax_clear, "post", "/api/v1/citizens/"),
             (citizen_token, citizen_clear, "post", "/api/v1/citizens/")]
    for _token, clear, method, path in calls:
        response = getattr(api_with(f"Bearer {clear}"), method)(path)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "forbidden"
    assert denied() == [
        (token.user_id, token.label, "url", path[:40], None, None, "127.0.0.1",
         {"path": path, "reason": "wrong_token_kind", "token": token.prefix})
        for token, _clear, _method, path in calls
    ]
    assert Review.objects.get(pk=review.pk).assignee_id is None


def test_another_departments_review_names_the_token(restaurant, submit):
    review = submit().reviews.get(department__code="fire")
    token, clear = department_token("tax")
    assert api_with(f"Bearer {clear}").get(f"/api/v1/reviews/{review.pk}/").status_code == 404
    assert denied() == [(token.user_id, token.label, "review", str(review.pk), None, None, "127.0.0.1",
                         {"path": f"/api/v1/reviews/{review.pk}/", "reason": "not_found", "token": token.prefix})]


# --- Flooding -------------------------------------------------------------------------------------------


@pytest.fixture(params=["locmem", "redis"])
def denial_cache(request, settings):
    """The cache the refusals are counted in: the process's own, and Redis as in production."""
    if request.param == "redis":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": redis_url(), "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                       "LOCATION": uuid.uuid4().hex}}
    return request.param


def test_a_401_storm_writes_one_event_per_address_and_reason_and_counts_the_rest(restaurant, denial_cache, settings):
    settings.AUDIT_DENIED_WINDOW_SECONDS = window = 3
    start = time.monotonic()
    storm = api_with(f"Bearer {CLEAR}", "203.0.113.7")
    for _ in range(30):
        assert storm.get("/api/v1/reviews/").status_code == 401
    assert api_with(None, "203.0.113.7").get("/api/v1/applications/").status_code == 401  # another reason
    assert api_with(f"Bearer {CLEAR}", "203.0.113.8").get("/api/v1/reviews/").status_code == 401  # another address
    unknown = {"path": "/api/v1/reviews/", "reason": "unknown_token", "token": "0123456789"}
    first = [
        (None, "anonymous", "url", "/api/v1/reviews/", None, None, "203.0.113.7", unknown),
        (None, "anonymous", "url", "/api/v1/applications/", None, None, "203.0.113.7",
         {"path": "/api/v1/applications/", "reason": "no_token"}),
        (None, "anonymous", "url", "/api/v1/reviews/", None, None, "203.0.113.8", unknown),
    ]
    assert denied() == first
    assert time.monotonic() - start < window, "the storm took longer than the window: nothing was tested"
    time.sleep(start + window + 0.2 - time.monotonic())  # the window is over: the next refusal is recorded,
    # with the count of those left out
    assert storm.get("/api/v1/reviews/").status_code == 401
    assert denied() == [*first, (None, "anonymous", "url", "/api/v1/reviews/", None, None, "203.0.113.7",
                                 {**unknown, "unrecorded": 29})]


def test_a_signed_in_person_repeating_a_refusal_is_recorded_once_but_every_object_they_try_is(
        client, restaurant, officers, denial_cache, settings):
    settings.AUDIT_DENIED_WINDOW_SECONDS = 60
    reviews = [make_review(restaurant, "registration") for _ in range(2)]
    client.force_login(officers["health"])
    for _ in range(5):
        assert client.get(reverse("departments:review", args=[reviews[0].pk])).status_code == 404
    assert client.get(reverse("departments:review", args=[reviews[1].pk])).status_code == 404
    assert [(e[0], e[2], e[3]) for e in denied()] == [(officers["health"].pk, "review", str(r.pk)) for r in reviews]


def test_without_a_cache_every_refusal_is_recorded(restaurant, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there
    for _ in range(2):
        assert api_with(None).get("/api/v1/reviews/").status_code == 401
    assert denied() == [(None, "anonymous", "url", "/api/v1/reviews/", None, None, "127.0.0.1",
                         {"path": "/api/v1/reviews/", "reason": "no_token"})] * 2


# --- Citizens' pages and the queue ----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/applications/"),
    ("get", "/applications/who-viewed-my-data/"),
    ("get", "/applications/1/"),
    ("post", "/applications/start/open-a-restaurant/"),
    ("get", "/accounts/profile/"),
    ("get", "/api/tokens/"),
])
def test_staff_on_a_citizens_page_get_the_404_and_it_is_on_record(client, officers, method, path):
    client.force_login(officers["tax"])
    assert getattr(client, method)(path).status_code == 404
    assert denied() == [(officers["tax"].pk, officers["tax"].email, "url", path, None, None, "127.0.0.1",
                         {"path": path, "reason": "citizen_only"})]


def test_revoking_someone_elses_token_is_on_record(client, citizen):
    theirs, _clear = api_token_create(kind="citizen", name="their phone",
                                      user=UserFactory(email="li.lei@example.org"))
    client.force_login(citizen)
    assert client.post(reverse("api:token-revoke", args=[theirs.pk])).status_code == 404
    assert denied() == [(citizen.pk, citizen.email, "api_token", str(theirs.pk), None, None, "127.0.0.1",
                         {"path": f"/api/tokens/{theirs.pk}/revoke/"})]


def test_assigning_another_departments_review_is_on_record(client, restaurant, officers):
    review = make_review(restaurant, "registration")
    client.force_login(officers["health_supervisor"])
    path = reverse("departments:assign", args=[review.pk])
    assert client.post(path, {"assignee": officers["health"].pk}).status_code == 404
    assert denied() == [(officers["health_supervisor"].pk, officers["health_supervisor"].email, "review", str(review.pk),
                         None, None, "127.0.0.1", {"path": path, "reason": "not_found"})]


def test_an_officer_assigning_is_refused_and_on_record(client, restaurant, officers):
    review = make_review(restaurant, "registration")
    client.force_login(officers["registration"])
    path = reverse("departments:assign", args=[review.pk])
    response = client.post(path, {"assignee": officers["registration"].pk}, follow=True)
    assert "Only a supervisor of the department can assign its reviews." in response.content.decode()
    assert denied() == [(officers["registration"].pk, officers["registration"].email, "review", str(review.pk),
                         None, None, "127.0.0.1", {"path": path, "reason": "not_supervisor"})]


def test_a_bulk_assignment_records_each_review_it_was_refused(client, restaurant, officers):
    mine, theirs = make_review(restaurant, "registration"), make_review(restaurant, "tax")
    client.force_login(officers["registration_supervisor"])
    response = client.post(reverse("departments:assign_bulk"), {
        "review": [mine.pk, theirs.pk, 999999], "assignee": officers["registration"].pk}, follow=True)
    assert "1 review assigned." in response.content.decode()
    path = reverse("departments:assign_bulk")
    who = (officers["registration_supervisor"].pk, officers["registration_supervisor"].email)
    assert denied() == [(*who, "review", str(pk), None, None, "127.0.0.1", {"path": path, "reason": "not_found"})
                        for pk in (theirs.pk, 999999)]
