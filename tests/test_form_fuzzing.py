"""Bad input at volume: FORM_FUZZ_REQUESTS (10,000) generated POSTs against every HTML form of the
portal (every route of the URL conf outside the API and the admin whose view accepts a POST), as
each kind of person signed in and as an anonymous visitor, through the Django test client on
PostgreSQL. No request may end in a server error, and a refused one (4xx, a form shown again with
its errors, the sign-in page) may write nothing: the row counts of the portal's own tables are the
same after it. The generator is tests/form_fuzz.py."""

import os
import time
import traceback

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import transaction
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.urls import NoReverseMatch, reverse
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from approvals import workflow
from approvals.models import Application, Attachment, Review
from permits.tests.conftest import approve_all
from tests.client import PortalClient
from tests.engine_fixtures import pdf_upload, submitted_application
from tests.factories import UserFactory
from tests.form_fuzz import Body, FormFields, bodies, count_rows, describe, form_fields, html_routes

pytestmark = pytest.mark.postgres

REQUESTS = int(os.environ.get("FORM_FUZZ_REQUESTS", "10000"))
ROLES = ["anonymous", "citizen", "officer", "supervisor", "manager", "admin"]
# The portal's main records: what a refused request must leave as it was. The audit log is left
# out on purpose: a refusal is recorded there (access.denied), as are failed sign-ins.
COUNTED = [("approvals", model) for model in (
    "Application", "Attachment", "Review", "Notification", "Message", "InternalNote", "ApplicationShare",
    "ShareOpinion", "Complaint", "Rating")] + [
    ("permits", "Permit"), ("permits", "ReissueRequest"), ("certificates", "Certificate"),
    ("payments", "PaymentOrder"), ("accounts", "User")]


def counted_tables() -> list[str]:
    return [apps.get_model(app, model)._meta.db_table for app, model in COUNTED]


@pytest.fixture
def world(restaurant, citizen, officers, settings, tmp_path):
    """People of every role, and rows for the routes' arguments: a draft with an upload, a routed
    application, an issued permit."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.RATELIMIT_ENABLE = False  # rate limits answer 429 before the forms are reached
    draft = workflow.application_start(applicant=citizen, service=restaurant)
    workflow.application_attach(application_id=draft.pk, actor=citizen, field_key="floor_plan",
                                uploaded=pdf_upload())
    routed = submitted_application(restaurant, citizen)
    workflow.application_route(application_ids=[routed.pk])
    permit = approve_all(submitted_application(restaurant, citizen), officers)
    department = restaurant.requirements.first().department.code
    people = {"citizen": citizen, "officer": officers[department],
              "supervisor": officers[f"{department}_supervisor"],
              "manager": UserFactory(email="manager@example.gov", role=Role.MANAGER),
              "admin": UserFactory(email="admin@example.gov", role=Role.ADMIN, is_staff=True, is_superuser=True)}
    ids = sorted({*Application.objects.values_list("pk", flat=True), *Review.objects.values_list("pk", flat=True),
                  *Attachment.objects.values_list("pk", flat=True), permit.pk, 999999})
    applications = [draft.pk, routed.pk, permit.application_id]
    arguments = {"int": ids, "slug": [restaurant.slug, department, "no-such-thing"],
                 "str": [permit.number, "P-0000-000000", "x" * 40, "abc"], "step": [1, 2, 3, 4],
                 # The rows each part of the portal names by "pk" (most of the time the right kind).
                 "approvals:pk": applications * 3 + [999999],
                 "departments:pk": list(Review.objects.values_list("pk", flat=True)) * 2 + [999999],
                 "attachment_id": list(Attachment.objects.values_list("pk", flat=True)) * 3 + [999999]}
    return people, arguments


class Visitor:
    """A test client of one person (or of nobody) that enforces CSRF checks, as a browser meets them."""

    def __init__(self, person):
        self.person, self.client = person, PortalClient(enforce_csrf_checks=True)
        self.sign_in()

    def sign_in(self):
        if self.person is not None:
            self.client.force_login(self.person)
        # The CSRF cookie as a browser holds it once a page with a form has set one.
        self.client.cookies[django_settings.CSRF_COOKIE_NAME] = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)

    def still_signed_in(self):
        if self.person is not None and "_auth_user_id" not in self.client.session:
            self.sign_in()  # a fuzzed sign-out, or a password form that ended the session

    def token(self, how: str) -> dict:
        if how == "missing":
            return {}
        cookie = self.client.cookies.get(django_settings.CSRF_COOKIE_NAME)
        return {"HTTP_X_CSRFTOKEN": cookie.value if how == "valid" and cookie else "wrong" * 8}

    def post(self, url: str, body):
        headers = self.token(body.csrf)
        if body.kind == "raw":
            return self.client.generic("POST", url, body.raw, content_type=body.content_type, **headers)
        return self.client.post(url, body.data, **headers)


def url_for(route, arguments: dict, draw) -> str | None:
    kwargs = {}
    namespace = route.name.partition(":")[0]
    for name, kind in route.parameters:
        pool = arguments.get(f"{namespace}:{name}") or arguments.get(name) or arguments[kind]
        kwargs[name] = draw(pool)
    try:
        return reverse(route.name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def refused(response) -> bool:
    """A 4xx, the sign-in page instead of the form, or the form shown again with its errors."""
    if response.status_code >= 400:
        return True
    if response.status_code == 302:
        return response["Location"].startswith(reverse("accounts:login"))
    contexts = response.context or []
    return any(getattr(value, "errors", None) and hasattr(value, "is_bound") and value.is_bound
               for context in contexts for value in context.flatten().values())


def test_ten_thousand_generated_posts_to_every_form_end_in_no_error_and_write_nothing_when_refused(world):
    people, arguments = world
    visitors = {role: Visitor(people.get(role)) for role in ROLES}
    tables = counted_tables()
    failures, statuses, sent = [], {}, [0]
    started = time.monotonic()
    # The counts after the last request are the counts before the next: one statement a request.
    counts = [count_rows(tables)]

    def send(route, role, url, body):
        visitor = visitors[role]
        before = counts[0]
        try:
            with transaction.atomic():  # a request that fails leaves the test's transaction usable
                response = visitor.post(url, body)
        except Exception as error:  # noqa: BLE001  (every error is a finding, reported with its request)
            failures.append(f"{role} POST {url} ({route.name}): {error!r} with {describe(body)}\n"
                            f"{''.join(traceback.format_exception(error)[-6:])}")
            counts[0] = count_rows(tables)
            return None
        finally:
            sent[0] += 1
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        counts[0] = count_rows(tables)
        if response.status_code >= 500:
            failures.append(f"{role} POST {url} ({route.name}): {response.status_code} with {describe(body)}")
        elif refused(response) and counts[0] != before:
            failures.append(f"{role} POST {url} ({route.name}): refused ({response.status_code}) but wrote rows "
                            f"with {describe(body)}")
        visitor.still_signed_in()
        return response

    # Which routes take a POST: an empty form with its token (405: none).
    forms = []
    for route in html_routes():
        url = url_for(route, arguments, lambda pool: pool[0])
        if url is None:
            continue
        # A view refuses a method before it looks at who asks, once they are past signing in.
        for role in ("admin", "officer", "citizen"):
            answer = send(route, role, url, Body("form", data={}))
            if answer is not None and answer.status_code == 405:
                break
        else:
            forms.append(route)
    # Each form's fields, from its page as the first person who may open it sees it; a POST-only
    # route gets every name seen on any page.
    fields: dict[str, FormFields] = {}
    seen = FormFields()
    for route in forms:
        fields[route.name] = learnt = FormFields()
        url = url_for(route, arguments, lambda pool: pool[0])
        for role in ["citizen", "officer", "supervisor", "admin", "manager", "anonymous"]:
            page = visitors[role].client.get(url)
            visitors[role].still_signed_in()
            if page.status_code == 200 and page.get("Content-Type", "").startswith("text/html"):
                found = form_fields(page.content.decode(errors="replace"))
                for into in (learnt, seen):
                    for name, values in found.names.items():
                        into.names.setdefault(name, []).extend(values)
                    into.files |= found.files
                break
    probed = sent[0]
    counts[0] = count_rows(tables)

    @settings(max_examples=max(REQUESTS - probed, 1), deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def fuzz(data):
        route = data.draw(st.sampled_from(forms), label="route")
        role = data.draw(st.sampled_from(ROLES), label="role")
        url = url_for(route, arguments, lambda pool: data.draw(st.sampled_from(pool)))
        if url is None:
            return
        learnt = fields[route.name]
        body = data.draw(bodies(learnt if learnt.names else seen), label="body")
        send(route, role, url, body)

    fuzz()
    elapsed = time.monotonic() - started
    print(f"\nform fuzzing: {sent[0]} POSTs to {len(forms)} forms in {elapsed:.0f} s "
          f"({sent[0] / elapsed:.0f}/s); statuses {dict(sorted(statuses.items()))}")
    assert failures == [], f"{len(failures)} failures, the first 20:\n" + "\n\n".join(failures[:20])
    assert sent[0] >= REQUESTS
    assert len(forms) >= 60
