"""Enumeration of permits: numbers are sequential, so the number alone says only "issued and
valid" or "not valid", with nothing about the holder or the business. What the permit prints is
shown only with the number and the permit's own verification code (in its QR code and printed
address); a wrong code is answered exactly like a permit that does not exist."""

import importlib
import re
import subprocess
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from approvals.permit_flow import permit_render, permit_revoke
from permits.models import Permit
from tests.client import PortalClient

from .conftest import approve_all, local_copy, reissued, stored_bytes

pytestmark = pytest.mark.django_db

CODE = re.compile(r"[a-z2-7]{26}")
# What the permit of the tests prints about its holder and business, and what it does not.
PRINTED = ("Wang Fang", "Golden Dragon", "1 Harbour Road", "Open a restaurant", "Health Bureau", "Condition of fire.")
NEVER = ("wang.fang@example.org", "W*** F***", "Chinese", "chinese", "Seats", "seats")


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def by_number(client, number):
    return client.get(reverse("permits:verify", args=[number]))


def by_code(client, number, code):
    return client.get(reverse("permits:verify_code", args=[number, code]))


def qr_code_of(permit, tmp_path) -> str:
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", local_copy(permit, tmp_path), str(tmp_path / "page")],
                   check=True)
    return subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_the_qr_code_and_the_printed_address_carry_the_permits_own_code(issued_permit, submit, officers, tmp_path):
    code = issued_permit.verify_code
    assert CODE.fullmatch(code)  # 26 base32 characters: 130 bits from secrets
    url = f"http://127.0.0.1:8000/permits/verify/{issued_permit.number}/{code}/"
    assert qr_code_of(issued_permit, tmp_path) == url
    printed = subprocess.run(["pdftotext", local_copy(issued_permit, tmp_path), "-"], capture_output=True, text=True,
                             check=True).stdout
    assert url in printed
    other = approve_all(submit(), officers)
    assert CODE.fullmatch(other.verify_code) and other.verify_code != code


def test_the_number_alone_says_issued_and_valid_and_nothing_about_the_holder(client, issued_permit):
    response = by_number(client, issued_permit.number)
    assert response.status_code == 200
    page = text(response)
    assert f"Permit {issued_permit.number} was issued by this portal and is valid." in page
    for shown in (*PRINTED, *NEVER, issued_permit.sha256, issued_permit.application.reference):
        assert shown not in page, shown


@pytest.mark.parametrize("case", ["revoked", "superseded", "expired", "being issued", "unknown"])
def test_the_number_alone_of_a_permit_not_valid_gets_one_answer_whatever_the_reason(
        case, client, issued_permit, submit, officers):
    permit = approve_all(submit(), officers) if case == "being issued" else issued_permit
    if case == "revoked":
        permit_revoke(permit_id=permit.pk, actor=officers["fire_supervisor"], reason="Kitchen closed.")
    elif case == "superseded":
        reissued(permit, officers, {"holder": "Li Lei"})
    elif case == "expired":
        Permit.objects.filter(pk=permit.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    number = "P-2026-999999" if case == "unknown" else permit.number
    response = by_number(client, number)
    assert response.status_code == 404
    assert text(response).replace(number, "NUMBER") == text(by_number(client, "P-2026-888888")).replace(
        "P-2026-888888", "NUMBER")
    assert "No valid permit has the number" in text(response)
    for shown in (*PRINTED, "Li Lei", "Kitchen closed.", "revoked", "replaced", "expired"):
        assert shown not in text(response), shown


def test_with_its_code_the_page_shows_what_the_permit_prints_and_nothing_more(client, issued_permit):
    response = by_code(client, issued_permit.number, issued_permit.verify_code)
    assert response.status_code == 200
    page = text(response)
    assert f"Permit {issued_permit.number} was issued by this portal and is valid." in page
    assert "Holder Wang Fang " in page  # as printed, to compare with the paper
    assert "Business name Golden Dragon" in page and "Business site 1 Harbour Road" in page
    assert f"Application {issued_permit.application.reference}" in page
    for shown in PRINTED:
        assert shown in page, shown
    for hidden in (*NEVER, issued_permit.sha256, "partly hidden"):
        assert hidden not in page, hidden


def test_a_permit_that_prints_no_site_shows_none(client, issued_permit, officers):
    permit = reissued(issued_permit, officers, {"site_address": ""})
    assert permit_render(permit_id=permit.pk) == "rendered"
    permit.refresh_from_db()
    page = text(by_code(client, permit.number, permit.verify_code))
    assert "Holder Wang Fang" in page
    assert "Business site" not in page and "Harbour Road" not in page


def test_a_wrong_code_is_answered_like_a_permit_that_does_not_exist(client, issued_permit, submit, officers):
    other = approve_all(submit(), officers)
    assert permit_render(permit_id=other.pk) == "rendered"
    other.refresh_from_db()
    unknown = by_code(client, "P-2026-999999", "a" * 26)
    assert unknown.status_code == 404
    expected = text(unknown).replace("P-2026-999999", "NUMBER")
    assert "No permit with the number NUMBER and this verification code was issued by this portal." in expected
    for code in ("b" * 26, other.verify_code, issued_permit.verify_code[:-1], issued_permit.verify_code + "a",
                 "not-a-code", "A" * 300):
        response = by_code(client, issued_permit.number, code)
        assert response.status_code == 404, code
        assert text(response).replace(issued_permit.number, "NUMBER") == expected, code


def test_a_code_typed_in_capitals_or_a_number_in_lower_case_leads_to_the_permit(client, issued_permit):
    response = by_code(client, issued_permit.number.lower(), issued_permit.verify_code.upper())
    assert response.status_code == 302
    assert response.url == reverse("permits:verify_code", args=[issued_permit.number, issued_permit.verify_code])


def test_each_issue_has_its_own_code_and_the_old_one_says_superseded_without_leading_to_the_new(
        client, issued_permit, officers):
    old_code = issued_permit.verify_code
    new = reissued(issued_permit, officers, {"holder": "Li Lei"})
    assert permit_render(permit_id=new.pk) == "rendered"
    new.refresh_from_db()
    assert CODE.fullmatch(new.verify_code) and new.verify_code != old_code

    response = by_code(client, issued_permit.number, old_code)
    assert response.status_code == 200
    page = text(response)
    assert f"Permit {issued_permit.number} was replaced by a corrected permit on" in page
    assert "Wang Fang" in page  # what the old paper prints
    assert "Li Lei" not in page and new.verify_code not in response.content.decode()
    assert f'href="{reverse("permits:verify", args=[new.number])}"' in response.content.decode()

    page = text(by_code(client, new.number, new.verify_code))
    assert "Holder Li Lei" in page and f"Replaces {issued_permit.number}" in page
    assert old_code not in page
    assert by_code(client, new.number, old_code).status_code == 404


def test_a_revoked_permit_says_since_when_but_not_why(client, issued_permit, officers):
    permit_revoke(permit_id=issued_permit.pk, actor=officers["fire_supervisor"], reason="The owner's health record.")
    response = by_code(client, issued_permit.number, issued_permit.verify_code)
    assert response.status_code == 200
    assert f"Permit {issued_permit.number} was revoked on" in text(response)
    assert "health record" not in text(response)


def test_wrong_codes_count_on_the_same_rate_limit(client, settings, issued_permit):
    settings.PERMIT_VERIFY_RATE = "3/m"
    statuses = [by_code(client, issued_permit.number, "c" * 26).status_code for _ in range(2)]
    statuses.append(by_number(client, issued_permit.number).status_code)
    statuses.append(by_code(client, issued_permit.number, issued_permit.verify_code).status_code)
    assert statuses == [404, 404, 200, 429]


def test_the_file_still_shows_what_it_prints(client, issued_permit):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = stored_bytes(issued_permit.file)
    response = client.post(reverse("permits:verify_file"), {
        "file": SimpleUploadedFile("permit.pdf", data, "application/pdf")})
    page = text(response)
    assert "Yes: this file is exactly the one this portal issued." in page
    assert "Holder Wang Fang " in page and "Business site 1 Harbour Road" in page


def test_the_staff_page_links_to_the_full_verification_address(issued_permit, officers):
    client = PortalClient()
    client.force_login(officers["fire_supervisor"])
    html = client.get(reverse("permits:manage", args=[issued_permit.number])).content.decode()
    assert f'href="/permits/verify/{issued_permit.number}/{issued_permit.verify_code}/"' in html


def test_the_migration_gives_each_existing_permit_its_own_code(issued_permit, submit, officers):
    migration = importlib.import_module("permits.migrations.0003_verification_codes_and_reissue_requests")
    second = approve_all(submit(), officers)
    Permit.objects.update(verify_code="")
    migration.give_codes(apps, None)
    codes = list(Permit.objects.order_by("pk").values_list("verify_code", flat=True))
    assert len(codes) == 2 and all(CODE.fullmatch(c) for c in codes) and codes[0] != codes[1]
    assert second.pk  # both permits were given one


def test_the_api_answers_the_same_by_number_and_by_code(issued_permit, officers):
    from api.tests.conftest import Api

    api = Api()
    number, code = issued_permit.number, issued_permit.verify_code
    assert api.get(f"/api/v1/permits/{number}/verification/").json() == {"number": number, "valid": True}
    printed = api.get(f"/api/v1/permits/{number}/verification/{code}/").json()
    assert printed == {
        "number": number, "state": "valid", "holder": "Wang Fang", "business_name": "Golden Dragon",
        "site_address": "1 Harbour Road", "service": "Open a restaurant",
        "application": issued_permit.application.reference,
        "departments": ["Health Bureau", "Registration Bureau", "Tax Bureau", "Fire Bureau"],
        "issued_at": printed["issued_at"], "valid_from": issued_permit.valid_from.isoformat(),
        "valid_until": issued_permit.valid_until.isoformat(), "replaces": None, "replaced_by": None,
    }
    unknown = api.get(f"/api/v1/permits/P-2026-999999/verification/{code}/")
    assert unknown.status_code == 404
    for wrong in ("b" * 26, code.upper()[:-1], "x"):
        response = api.get(f"/api/v1/permits/{number}/verification/{wrong}/")
        assert (response.status_code, response.json()) == (404, unknown.json())

    permit_revoke(permit_id=issued_permit.pk, actor=officers["fire_supervisor"], reason="Closed.")
    response = api.get(f"/api/v1/permits/{number}/verification/")
    assert (response.status_code, response.json()["error"]["message"]) == (404, "No valid permit has this number.")
    assert api.get(f"/api/v1/permits/{number}/verification/{code}/").json()["state"] == "revoked"
