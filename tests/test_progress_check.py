"""The public progress check (/progress/): by reference and check code, no sign-in, statuses and
nothing personal, one answer for a wrong code and a wrong reference, rate-limited per address,
every successful check on the applicant's record; the code on the receipts."""

import importlib
import re

import pytest
from django.apps import apps
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import workflow
from approvals.check_codes import ALPHABET, LENGTH, new_check_code, normalize_check_code, printed
from approvals.models import Application, BundleApplication
from approvals.progress import progress_check
from approvals.receipts import receipt_context
from approvals.selectors import who_viewed_page
from audit.models import Action, AuditEvent

from .bundle_fixtures import BUNDLE_ANSWERS, submitted_bundle
from .factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/progress/"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def statuses(html: str) -> list[tuple[str, str]]:
    return [(text(name), status) for name, status in re.findall(
        r'<tr><th scope="row">(.*?)</th><td data-status="([a-z_]+)">', html, re.S)]


def check(client, reference, code, **extra):
    return client.post(URL, {"reference": reference, "code": code}, **extra)


def decide(application, code, officers, decision="approve", **kwargs):
    review = application.reviews.get(department__code=code)
    return workflow.review_decide(review_id=review.pk, actor=officers[code], decision=decision, **kwargs)


@pytest.fixture
def application(submit):
    return submit()


def test_codes_are_eight_unambiguous_characters():
    codes = {new_check_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert not set("01ILOUV") & set(ALPHABET)
    assert normalize_check_code(" k7pm-2qxd ") == "K7PM2QXD"
    assert printed("K7PM2QXD") == "K7PM-2QXD"


def test_each_application_gets_its_own_code(submit, citizen):
    first, second = submit(), submit()
    assert first.check_code != second.check_code
    assert len(first.check_code) == LENGTH


def test_the_form_asks_for_reference_and_code_by_post(client):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<form method="post" action="/progress/"' in html
    assert 'name="reference"' in html and 'name="code"' in html
    assert response["Cache-Control"].startswith("max-age=0")
    # A code in the address is not read: the page is the empty form, and nothing is looked up.
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL, {"reference": "A-2026-000001", "code": "ABCDEFGH"})
    assert again.status_code == 200 and "Progress of" not in again.content.decode()
    assert not [q for q in queries.captured_queries if "approvals_application" in q["sql"]]


def test_a_check_shows_each_departments_status(client, application, officers):
    decide(application, "registration", officers)
    decide(application, "health", officers, "correction", correction_fields=["seats"], message="Seats?")
    workflow.review_claim(review_id=application.reviews.get(department__code="tax").pk, actor=officers["tax"])
    application.refresh_from_db()

    response = check(client, application.reference.lower(), printed(application.check_code).lower())

    assert response.status_code == 200
    html = response.content.decode()
    assert statuses(html) == [("Registration Bureau", "approved"), ("Health Bureau", "correction_asked"),
                              ("Tax Bureau", "in_review"), ("Fire Bureau", "pending")]
    assert [text(cell) for cell in re.findall(r'<td data-status="[a-z_]+">(.*?)</td>', html)] == [
        "Approved", "Correction asked", "In review", "Pending"]
    facts = text(re.search(r'<dl class="row progress-facts">(.*?)</dl>', html, re.S).group(1))
    assert facts.startswith("Status Needs your correction Submitted ")
    assert facts.endswith("Stage 1 of 2")
    assert text(re.search(r"<h1>(.*?)</h1>", html).group(1)) == f"Progress of {application.reference}"


def test_a_rejected_application_and_reviews_not_needed(client, application, officers):
    decide(application, "registration", officers, "reject", reason="Name taken")
    html = check(client, application.reference, application.check_code).content.decode()
    assert statuses(html) == [("Registration Bureau", "rejected"), ("Health Bureau", "not_needed"),
                              ("Tax Bureau", "not_needed"), ("Fire Bureau", "not_needed")]
    assert "Name taken" not in html


def test_an_approved_application_shows_its_permits_state(client, application, officers):
    for code in ("registration", "health", "tax"):
        decide(application, code, officers)
    workflow.application_route(application_ids=[application.pk])  # stage 2 starts
    decide(application, "fire", officers)

    html = check(client, application.reference, application.check_code).content.decode()

    assert statuses(html) == [(name, "approved") for name in ("Registration Bureau", "Health Bureau", "Tax Bureau",
                                                               "Fire Bureau")]
    facts = text(re.search(r'<dl class="row progress-facts">(.*?)</dl>', html, re.S).group(1))
    assert facts.endswith("Permit Being issued")
    number = application.permits.get().number
    assert number not in html


def test_nothing_personal_is_shown(client, application, officers, citizen):
    decide(application, "registration", officers, conditions="Keep the kitchen door closed")
    html = check(client, application.reference, application.check_code).content.decode()

    for personal in (citizen.full_name, citizen.email, "Golden Dragon", "1 Harbour Road", "plan.pdf",
                     "Keep the kitchen door closed", officers["registration"].email,
                     officers["registration"].full_name):
        assert personal not in text(html), personal
    assert application.check_code not in html and printed(application.check_code) not in html


def wrong_code_for(application) -> str:
    return "K7PM2QXD" if application.check_code != "K7PM2QXD" else "K7PM2QXE"


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_a_wrong_code_answers_as_a_wrong_reference(client, application):
    other = "A-2099-999999"
    wrong_code = check(client, application.reference, wrong_code_for(application))
    wrong_reference = check(client, other, application.check_code)

    assert wrong_code.status_code == wrong_reference.status_code == 404
    message = "No application matches this reference and check code. Check both against the receipt and try again."
    assert message in wrong_code.content.decode()
    # The same page but for the reference typed, which the form keeps (never the code).
    # (Only the box's value is swapped: the page's example reference may be this one, A-2026-000123.)
    assert _without_csrf(wrong_code).replace(f'value="{application.reference}"', f'value="{other}"') == \
        _without_csrf(wrong_reference)
    assert application.check_code not in wrong_reference.content.decode()
    assert AuditEvent.objects.filter(action=Action.PROGRESS_CHECKED).count() == 0


def test_the_two_failures_do_the_same_reads(application):
    with CaptureQueriesContext(connection) as wrong_code:
        assert progress_check(reference=application.reference, code=wrong_code_for(application)) is None
    with CaptureQueriesContext(connection) as wrong_reference:
        assert progress_check(reference="A-2099-999999", code=application.check_code) is None
    shape = [re.sub(r"'[^']*'|\d+", "?", q["sql"]) for q in wrong_code.captured_queries]
    assert shape == [re.sub(r"'[^']*'|\d+", "?", q["sql"]) for q in wrong_reference.captured_queries]
    assert len([sql for sql in shape if sql.startswith("SELECT")]) == 1


def test_a_draft_has_no_progress(client, restaurant, citizen):
    draft = workflow.application_start(applicant=citizen, service=restaurant)
    assert draft.reference is None
    assert progress_check(reference="", code=draft.check_code) is None


@pytest.mark.parametrize(("reference", "code", "errors"), [
    ("", "", ["Application reference: Enter the reference printed on your receipt.",
              "Check code: Enter the check code printed on your receipt."]),
    ("hello", "ABC", ["Application reference: Enter the reference as printed on your receipt, for example A-2026-000123.",
                      "Check code: A check code is 8 letters and digits, for example K7PM-2QXD."]),
    ("A-2026-000001", "ABCD0FGH", ["Check code: A check code is 8 letters and digits, for example K7PM-2QXD."]),
    ("A" * 41, "K" * 41, ["Application reference: A reference is at most 20 characters, for example A-2026-000123.",
                          "Check code: A check code is 8 letters and digits, for example K7PM-2QXD."]),
    ("A-2026-000001\x00", "<script>", ["Application reference: Null characters are not allowed.",
                                       "Check code: A check code is 8 letters and digits, for example K7PM-2QXD."]),
])
def test_bad_input_is_explained(client, reference, code, errors):
    response = check(client, reference, code)
    assert response.status_code == 400
    summary = re.search(r'<div class="alert alert-danger error-summary".*?</ul>', response.content.decode(), re.S)
    assert [text(item) for item in re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)] == errors
    assert "<script>" not in response.content.decode()


def test_failed_checks_are_rate_limited_per_address(client, application, settings):
    settings.PROGRESS_CHECK_RATE = "3/h"
    for _ in range(5):  # the holder checking again and again is not held back
        assert check(client, application.reference, application.check_code).status_code == 200
    assert check(client, "A-2026", "K7PM-2QXD").status_code == 400  # a malformed guess counts too
    for _ in range(2):
        assert check(client, application.reference, wrong_code_for(application)).status_code == 404

    limited = check(client, application.reference, application.check_code)

    assert limited.status_code == 429
    assert "Many progress checks have come from your address in a short time. Wait an hour, then try again" in \
        limited.content.decode()
    assert AuditEvent.objects.filter(action=Action.PROGRESS_CHECKED).count() == 5  # the holder's own checks
    other_address = check(client, application.reference, application.check_code, REMOTE_ADDR="192.0.2.9")
    assert other_address.status_code == 200


def test_every_check_is_on_the_applicants_record(client, application, citizen):
    check(client, application.reference, application.check_code, REMOTE_ADDR="192.0.2.7")
    check(client, application.reference, application.check_code, REMOTE_ADDR="192.0.2.7")

    events = list(AuditEvent.objects.filter(action=Action.PROGRESS_CHECKED))
    assert [(e.subject_id, e.application_id, e.actor_id, e.ip) for e in events] == [
        (citizen.pk, application.pk, None, "192.0.2.7")] * 2
    rows = who_viewed_page(citizen).object_list
    assert [(r.staff_name, r.staff_role, r.action, r.reference) for r in rows] == [
        ("Someone holding the check code", "Public progress check",
         "Checked the progress of your application with its reference and check code", application.reference)] * 2


def test_the_code_is_on_the_receipts(client, application, citizen, settings):
    client.force_login(citizen)
    submitted = client.get(reverse("approvals:submitted", args=[application.pk])).content.decode()
    assert f'<strong class="check-code">{printed(application.check_code)}</strong>' in submitted
    detail = client.get(reverse("approvals:detail", args=[application.pk])).content.decode()
    assert f'<span class="check-code">{printed(application.check_code)}</span>' in detail

    pdf_html = render_to_string("approvals/receipt_pdf.html", receipt_context(
        Application.objects.prefetch_related("reviews__department", "attachments").get(pk=application.pk)))
    assert f'<strong class="check-code">{printed(application.check_code)}</strong>' in pdf_html
    assert f"anyone can see the progress at {settings.SITE_URL}/progress/ without signing in" in pdf_html


def test_another_officer_never_sees_the_code_on_the_application_page(client, application, officers):
    client.force_login(UserFactory(email="someone@example.org"))
    response = client.get(reverse("approvals:detail", args=[application.pk]))
    assert response.status_code == 404


@pytest.fixture
def bundle_row(restaurant_bundle, citizen):
    return submitted_bundle(restaurant_bundle, citizen)


def test_a_bundle_reference_shows_each_permit(client, bundle_row, citizen):
    bundle_row.refresh_from_db()
    response = check(client, bundle_row.reference, bundle_row.check_code)

    assert response.status_code == 200
    html = response.content.decode()
    children = list(Application.objects.filter(bundle_application=bundle_row, reference__isnull=False))
    assert len(children) >= 2
    headings = [text(h) for h in re.findall(r'<h2 class="h4" id="progress-\d+">(.*?)</h2>', html, re.S)]
    assert sorted(headings) == sorted(f"{translated_name(child)} ({child.reference})" for child in children)
    assert "Golden Dragon" not in html and citizen.full_name not in html
    event = AuditEvent.objects.get(action=Action.PROGRESS_CHECKED)
    assert (event.object_type, event.object_id, event.subject_id) == ("bundleapplication", str(bundle_row.pk),
                                                                     citizen.pk)
    client.force_login(citizen)
    receipt = client.get(reverse("bundles:receipt", args=[bundle_row.pk])).content.decode()
    assert f'<dd class="col-sm-8 check-code">{printed(bundle_row.check_code)}</dd>' in receipt


def translated_name(child) -> str:
    return child.schema.data["service"]["name"]["en"]


def test_a_bundles_check_reads_the_same_whatever_its_permits(client, restaurant_bundle, citizen):
    """N vs N+1: a bundle of more permits costs no more queries."""
    no_sign = {key: value for key, value in BUNDLE_ANSWERS.items() if key not in ("sign_text", "sign_area")}
    few = submitted_bundle(restaurant_bundle, citizen, {**no_sign, "plans_sign": "false"},
                           files=("floor_plan", "lease_contract"))
    many = submitted_bundle(restaurant_bundle, citizen)
    few.refresh_from_db()
    many.refresh_from_db()
    assert Application.objects.filter(bundle_application=many, reference__isnull=False).count() > \
        Application.objects.filter(bundle_application=few, reference__isnull=False).count()
    with CaptureQueriesContext(connection) as one:
        assert progress_check(reference=few.reference, code=few.check_code) is not None
    with CaptureQueriesContext(connection) as more:
        assert progress_check(reference=many.reference, code=many.check_code) is not None
    assert len(more) == len(one), "\n".join(q["sql"] for q in more.captured_queries)


def test_the_migration_gives_each_existing_application_its_own_code(submit, restaurant_bundle, citizen):
    migration = importlib.import_module("approvals.migrations.0028_check_codes")
    first, second = submit(), submit()
    bundle_row = submitted_bundle(restaurant_bundle, citizen)
    Application.objects.update(check_code="")
    BundleApplication.objects.update(check_code="")

    migration.give_codes(apps, None)

    codes = list(Application.objects.filter(pk__in=[first.pk, second.pk]).values_list("check_code", flat=True))
    codes.append(BundleApplication.objects.get(pk=bundle_row.pk).check_code)
    assert len(set(codes)) == 3
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert not Application.objects.filter(check_code="").exists()
