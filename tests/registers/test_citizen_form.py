"""The citizen's combined form with answers taken from the registers, end to end through the Django
test client against the reference register service run as a real process: what the page shows
(read-only, with its source), the agreement asked first where the catalogue requires it, a value
reported wrong, every failure of a register told in words with the answer typed instead, the list
"these will be taken from ..." before submitting, and the record written at submission."""

import html as markup
import re

import pytest
from django.urls import reverse

from approvals import workflow
from approvals.models import ApplicationRegisterValue
from audit.models import Action, AuditEvent
from registers.models import RegisterConsent, RegisterLookup
from tests.factories import UserFactory
from tests.register_service.fixtures import (
    ADDRESS_CODE,
    COMPANY,
    MARKUP_COMPANY,
    OTHERS_COMPANY,
    PERSON_NUMBER,
    UNKNOWN_COMPANY,
    point_registers_at,
)

from .catalogue import load_sign_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant(db):
    return UserFactory(email="wang.fang@example.org", full_name="Wang Fang", id_number=PERSON_NUMBER,
                       assurance="substantial")


@pytest.fixture
def draft(applicant, tmp_path, client):
    service = load_sign_service(tmp_path)
    client.force_login(applicant)
    return workflow.application_start(applicant=applicant, service=service)


def page(client, application, step, data=None):
    url = reverse("approvals:edit", args=[application.pk, step])
    return client.get(url) if data is None else client.post(url, data)


def text(response) -> str:
    return markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip())


def business(code, **extra):
    return {"business_name": "Golden Sign", "unified_social_credit_code": code, "continue": "1", **extra}


def lookups(application):
    return list(RegisterLookup.objects.filter(application_id=application.pk).order_by("id")
                .values_list("register", "outcome", "values"))


def test_the_whole_form_takes_what_the_registers_keep_and_submits_it_on_record(registers, draft, client, applicant):
    # The company: its code on the first page, then the page again with its details read-only.
    response = page(client, draft, 1, business(COMPANY.lower()[:9] + " " + COMPANY.lower()[9:]))  # typed loosely
    assert response.status_code == 302 and response.url == reverse("approvals:edit", args=[draft.pk, 1])
    shown = page(client, draft, 1)
    assert "Registered company name Wang Fang Test Trading Co., Ltd. From the Company register" in text(shown)
    assert 'name="company_registered_name"' not in shown.content.decode()  # read-only: no input
    assert "This is wrong: I will type it" in text(shown)
    draft.refresh_from_db()
    assert draft.answers == {"business_name": "Golden Sign", "unified_social_credit_code": COMPANY,
                             "company_registered_name": "Wang Fang Test Trading Co., Ltd.",
                             "company_registered_address": "5 Test Street, Central District"}

    # The population register only with the applicant's agreement: asked first, nothing looked up.
    asking = page(client, draft, 2)
    assert "May we take these details from the Population register?" in text(asking)
    assert 'name="registered_residence"' not in asking.content.decode()
    assert [r[0] for r in lookups(draft)] == ["company"]
    assert page(client, draft, 2, {"register_consent_population": "yes", "continue": "1"}).status_code == 302
    assert "Room 301, 5 Garden Lane, Chaoyang District, Beijing From the Population register" in text(page(client, draft, 2))
    assert RegisterConsent.objects.get(application_id=draft.pk).agreed is True

    # The address register by the site's code.
    assert page(client, draft, 3, {"site_address_code": ADDRESS_CODE, "continue": "1"}).status_code == 302
    assert "Land use of the site Industrial From the Address register" in text(page(client, draft, 3))

    # Check your answers: what will be taken from where.
    check = client.get(reverse("approvals:check", args=[draft.pk]))
    listed = text(check).split("These will be taken from the registers the government keeps")[1]
    assert re.search(r"From the Company register \([^)]+\): Registered company name, Registered company address", listed)
    assert re.search(r"From the Population register \([^)]+\): Registered residence", listed)
    assert re.search(r"From the Address register \([^)]+\): Land use of the site", listed)
    assert "were not verified" not in listed

    response = client.post(reverse("approvals:check", args=[draft.pk]), {"declaration": "yes"})
    assert response.status_code == 302
    rows = list(ApplicationRegisterValue.objects.filter(application=draft).order_by("field_key").values_list(
        "field_key", "register", "attribute", "value", "verified", "reason"))
    assert rows == [
        ("company_registered_address", "company", "registered_address", "5 Test Street, Central District", True, ""),
        ("company_registered_name", "company", "registered_name", "Wang Fang Test Trading Co., Ltd.", True, ""),
        ("registered_residence", "population", "registered_residence",
         "Room 301, 5 Garden Lane, Chaoyang District, Beijing", True, ""),
        ("site_land_use_class", "address", "land_use_class", "industrial", True, ""),
    ]
    assert all(v.looked_up_at is not None for v in ApplicationRegisterValue.objects.filter(application=draft))
    # Once only, counted (approvals.once_only): the business name and the two codes typed, four
    # answers the registers gave.
    draft.refresh_from_db()
    assert draft.once_only == {"fields_asked": 3, "fields_taken": 4, "documents_uploaded": 0,
                               "documents_reused": 0}

    # On record: each lookup with its purpose, naming the register, never the code or a value.
    events = AuditEvent.objects.filter(application_id=draft.pk, action=Action.REGISTER_LOOKUP).order_by("id")
    assert [(e.actor_id, e.actor_label, e.purpose, e.subject_id, e.details) for e in events] == [
        (None, "company register", "register_lookup", applicant.pk,
         {"register": "company", "outcome": "found", "attributes": ["registered_name", "registered_address"],
          "fields": ["company_registered_name", "company_registered_address"]}),
        (None, "population register", "register_lookup", applicant.pk,
         {"register": "population", "outcome": "found", "attributes": ["registered_residence"],
          "fields": ["registered_residence"]}),
        (None, "address register", "register_lookup", applicant.pk,
         {"register": "address", "outcome": "found", "attributes": ["land_use_class"], "fields": ["site_land_use_class"]}),
    ]
    assert AuditEvent.objects.filter(action=Action.REGISTER_CONSENT, actor=applicant, details__agreed=True).count() == 1

    # "Who viewed my data" names each register that gave the portal the applicant's data.
    who = text(client.get(reverse("approvals:who_viewed")))
    assert "Company register (Government register) — Gave the portal your registered name, registered address for your " \
           "application Filling in your application from the registers the government keeps" in who
    assert "Population register (Government register) — Gave the portal your registered residence" in who
    assert "Address register (Government register) — Gave the portal your land-use class" in who


def test_markup_in_a_registers_answer_is_shown_as_text(registers, draft, client):
    page(client, draft, 1, business(MARKUP_COMPANY))
    html = page(client, draft, 1).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;Bold&lt;/b&gt; Ltd" in html
    assert "1 &lt;i&gt;Markup&lt;/i&gt; Road" in html
    assert "<script>alert(1)" not in html and "<b>Bold</b>" not in html


def test_a_malformed_code_is_refused_on_the_page_and_nothing_is_asked(registers, draft, client):
    response = page(client, draft, 1, business("91110105MA01EMPT20"))  # the check character is wrong
    assert response.status_code == 400
    assert ("Enter the unified social credit code as on the business licence: 18 characters, the last one a check "
            "character. Check it for a typing mistake.") in text(response)
    draft.refresh_from_db()
    assert draft.answers == {} and lookups(draft) == []


def test_an_unknown_code_is_said_so_and_the_applicant_types_the_details_not_verified(registers, draft, client):
    assert page(client, draft, 1, business(UNKNOWN_COMPANY)).status_code == 302
    shown = text(page(client, draft, 1))
    assert ("The company register has no record under the code you gave. Check the code, or type these details "
            "yourself: the department will see that they were not taken from the register.") in shown
    assert lookups(draft) == [("company", "not_found", {})]
    assert AuditEvent.objects.get(application_id=draft.pk, action=Action.REGISTER_LOOKUP_FAILED).details == {
        "register": "company", "outcome": "not_found", "attributes": ["registered_name", "registered_address"]}
    # Typed instead; the page is not asked again (the register would say the same).
    page(client, draft, 1, business(UNKNOWN_COMPANY, company_registered_name="Golden Sign Ltd"))
    assert len(lookups(draft)) == 1
    workflow.application_submit(application_id=draft.pk, actor=draft.applicant)
    assert list(ApplicationRegisterValue.objects.filter(application=draft).values_list(
        "field_key", "value", "verified", "reason", "looked_up_at")) == [
        ("company_registered_name", "Golden Sign Ltd", False, "not_found", None)]
    draft.refresh_from_db()  # typed, so asked
    assert (draft.once_only["fields_taken"], draft.once_only["fields_asked"]) == (0, 3)


def test_a_company_whose_legal_representative_is_someone_else_gives_nothing(registers, draft, client, applicant):
    page(client, draft, 1, business(OTHERS_COMPANY))
    shown = text(page(client, draft, 1))
    assert ("The company register names someone other than you as the legal representative of this company, so none "
            "of its details are used for your application.") in shown
    assert "Riverside" not in shown and "Zhang Wei" not in shown
    draft.refresh_from_db()
    assert "company_registered_name" not in draft.answers
    assert lookups(draft) == [("company", "mismatch", {})]  # nothing of the company kept
    # The register did answer with data: on the applicant's page, as not used.
    assert "Answered the portal's question about your application; its answer named someone else and was not used" in \
        text(client.get(reverse("approvals:who_viewed")))


def test_a_register_that_does_not_answer_is_said_so_and_can_be_asked_again(settings, register_service, silent_register,
                                                                         draft, client):
    assert page(client, draft, 1, business(COMPANY)).status_code == 302
    shown = page(client, draft, 1)
    assert ("We asked the company register, but it did not answer in time. Type these details yourself: the department "
            "will see that they were not taken from the register. You can also ask it again.") in text(shown)
    assert 'name="register_retry" value="company"' in shown.content.decode()
    assert 'name="company_registered_name"' in shown.content.decode()  # typed meanwhile
    assert lookups(draft) == [("company", "unavailable", {})]

    point_registers_at(settings, register_service.url)  # the register is back
    page(client, draft, 1, business(COMPANY))  # saving again asks nothing by itself
    assert len(lookups(draft)) == 1
    assert page(client, draft, 1, business(COMPANY, register_retry="company")).status_code == 302
    assert [r[1] for r in lookups(draft)] == ["unavailable", "found"]
    assert "Wang Fang Test Trading Co., Ltd. From the Company register" in text(page(client, draft, 1))


def test_an_answer_that_breaks_the_interface_is_not_used(misbehaving_register, draft, client):
    misbehaving_register(body={"unified_social_credit_code": COMPANY, "registered_name": "<b>x</b>" * 100,
                               "registered_address": "x", "legal_representative": "Wang Fang", "status": "active"})
    page(client, draft, 1, business(COMPANY))
    assert "We asked the company register, but its answer could not be used." in text(page(client, draft, 1))
    draft.refresh_from_db()
    assert "company_registered_name" not in draft.answers
    assert lookups(draft) == [("company", "invalid_answer", {})]


def test_refusing_the_agreement_asks_the_register_nothing_and_the_answer_is_typed(registers, draft, client):
    page(client, draft, 2, {"register_consent_population": "no", "continue": "1"})
    shown = page(client, draft, 2)
    assert "You chose not to have these taken from the population register." in text(shown)
    assert 'name="registered_residence"' in shown.content.decode()
    page(client, draft, 2, {"registered_residence": "1 Elsewhere Road", "continue": "1"})
    page(client, draft, 1, {"business_name": "Golden Sign", "continue": "1"})
    assert lookups(draft) == []
    workflow.application_submit(application_id=draft.pk, actor=draft.applicant)
    assert list(ApplicationRegisterValue.objects.filter(application=draft).values_list(
        "field_key", "verified", "reason")) == [("registered_residence", False, "refused")]


def test_without_a_verified_identity_the_population_register_is_not_asked(registers, tmp_path, client):
    service = load_sign_service(tmp_path)
    person = UserFactory(email="unverified@example.org", full_name="Wang Fang", id_number=PERSON_NUMBER)
    client.force_login(person)
    application = workflow.application_start(applicant=person, service=service)
    shown = text(page(client, application, 2))
    assert "Your identity has not been verified, so we cannot ask the population register." in shown
    assert "May we take these details" not in shown


def test_a_value_reported_wrong_is_typed_and_not_verified(registers, draft, client):
    page(client, draft, 1, business(COMPANY))
    assert page(client, draft, 1, business(COMPANY, register_report="company_registered_address")).status_code == 302
    shown = page(client, draft, 1)
    html = shown.content.decode()
    assert 'name="company_registered_address"' in html and 'value="5 Test Street, Central District"' in html
    assert 'name="company_registered_name"' not in html  # the other value still stands
    assert "You reported the Company register's value wrong" in text(shown)
    page(client, draft, 1, business(COMPANY, company_registered_address="7 Test Street, Central District"))
    check = text(client.get(reverse("approvals:check", args=[draft.pk])))
    assert "Registered company address: The applicant reported the register's value wrong and typed it" in check
    workflow.application_submit(application_id=draft.pk, actor=draft.applicant)
    assert list(ApplicationRegisterValue.objects.filter(application=draft).order_by("field_key").values_list(
        "field_key", "value", "verified", "reason")) == [
        ("company_registered_address", "7 Test Street, Central District", False, "reported"),
        ("company_registered_name", "Wang Fang Test Trading Co., Ltd.", True, "")]
    assert AuditEvent.objects.get(action=Action.REGISTER_VALUE_DISPUTED).details == {
        "register": "company", "field": "company_registered_address"}
