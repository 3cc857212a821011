"""Public verification (every outcome, by number and by file, rate-limited) and the staff's
permit pages (access, revoke, re-issue, query counts)."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.models import Role
from approvals.permit_flow import permit_reissue_approve, permit_render, permit_revoke
from audit.models import Action, AuditEvent
from devtools.samples import blank_pdf
from permits.models import Permit, PermitStatus, ReissueRequest
from tests.factories import DepartmentFactory, UserFactory, officer

from .conftest import approve_all, reissued, stored_bytes
from .test_rendering import tampered

pytestmark = pytest.mark.django_db


def short(day) -> str:
    """A date as every English page shows it (portal/formats)."""
    with translation.override("en"):
        return date_format(day, "SHORT_DATE_FORMAT")



def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def verify_path(permit) -> str:
    """The address printed on the permit (and in its QR code)."""
    return reverse("permits:verify_code", args=[permit.number, permit.verify_code])


def test_a_valid_permit_shows_what_it_prints_and_nothing_more(client, issued_permit, citizen):
    response = client.get(verify_path(issued_permit))
    assert response.status_code == 200
    page = text(response)
    assert f"Permit {issued_permit.number} was issued by this portal and is valid." in page
    assert "Holder Wang Fang Business name Golden Dragon Business site 1 Harbour Road" in page
    assert "Service Open a restaurant" in page
    assert "Approved by Health Bureau, Registration Bureau, Tax Bureau, Fire Bureau" in page
    assert f"Valid {short(issued_permit.valid_from)} – {short(issued_permit.valid_until)}" in page
    assert issued_permit.sha256 not in page
    for private in (citizen.email, "Chinese", "chinese", "Seats", "seats"):
        assert private not in page


def test_the_verification_page_in_chinese(client, issued_permit):
    client.cookies["django_language"] = "zh-hans"
    page = text(client.get(verify_path(issued_permit), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "开办餐饮店" in page and "health局" in page


def test_expired_revoked_superseded_and_pending(client, issued_permit, officers, submit):
    url = verify_path(issued_permit)
    Permit.objects.filter(pk=issued_permit.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    assert f"was issued by this portal but expired on {short(timezone.localdate() - timedelta(days=1))}." in text(
        client.get(url))
    Permit.objects.filter(pk=issued_permit.pk).update(valid_until=timezone.localdate() + timedelta(days=10))

    new = reissued(issued_permit, officers, {"business_name": "Golden Dragon Inn"})
    page = text(client.get(url))
    assert f"was replaced by a corrected permit on {short(timezone.localdate())}. It is no longer valid." in page
    assert f"Check the permit that replaces it, {new.number}" in page
    page = text(client.get(verify_path(new)))
    assert f"Permit {new.number} has been approved; its file is being produced." in page
    assert "Golden Dragon Inn" not in page  # nothing is shown before the file exists

    assert permit_render(permit_id=new.pk) == "rendered"
    permit_revoke(permit_id=new.pk, actor=officers["fire_supervisor"], reason="Closed <b>for good</b>.")
    response = client.get(verify_path(new))
    assert response.status_code == 200
    assert f"Permit {new.number} was revoked on {short(timezone.localdate())}. It is no longer valid." in text(response)
    assert "for good" not in response.content.decode()  # the reason is the holder's and the staff's
    assert f"Replaces {issued_permit.number}" in text(response)


def test_a_made_up_number_is_not_found(client, db):
    response = client.get(reverse("permits:verify", args=["P-2026-999999"]))
    assert response.status_code == 404
    assert "No valid permit has the number P-2026-999999: this portal never issued it" in text(response)


@pytest.mark.parametrize("number", ["hello", "P-26-1", "P-2026-000001-1234", "<script>alert(1)<script>", "x" * 300,
                                    "P-2026-00000١"])
def test_a_malformed_number_gets_a_clear_answer(client, number, db):
    for url in (reverse("permits:verify", args=[number]), reverse("permits:verify_code", args=[number, "a" * 26])):
        response = client.get(url)
        assert response.status_code == 400
        assert "is not a permit number. Permit numbers look like P-2026-000123." in text(response)
        assert "<script>alert" not in response.content.decode()


def test_a_number_typed_in_lower_case_leads_to_the_permit(client, issued_permit):
    response = client.get(reverse("permits:verify", args=[issued_permit.number.lower()]))
    assert response.status_code == 302 and response.url == reverse("permits:verify", args=[issued_permit.number])


def test_the_start_page_checks_a_number(client, issued_permit):
    response = client.get(reverse("permits:verify_start"))
    assert response.status_code == 200
    assert 'name="number"' in response.content.decode() and 'name="file"' in response.content.decode()
    response = client.get(reverse("permits:verify_start"), {"number": f"  {issued_permit.number.lower()} "})
    assert response.url == reverse("permits:verify", args=[issued_permit.number])
    response = client.get(reverse("permits:verify_start"), {"number": "nonsense"})
    assert response.status_code == 400
    assert "Permit number: This is not a permit number." in text(response)


def test_the_start_page_takes_the_code_printed_under_the_qr_code(client, issued_permit):
    """Typed from paper with the code that ends the printed address, the number opens what the permit states."""
    page = client.get(reverse("permits:verify_start")).content.decode()
    assert 'name="code"' in page
    response = client.get(reverse("permits:verify_start"),
                          {"number": issued_permit.number, "code": f" {issued_permit.verify_code.upper()} "})
    assert response.url == reverse("permits:verify_code", args=[issued_permit.number, issued_permit.verify_code])
    response = client.get(reverse("permits:verify_start"), {"number": issued_permit.number, "code": "0O1I"})
    assert response.status_code == 400
    assert ("Verification code: This is not a verification code. It is the last part of the verification address"
            " at the foot of the permit: 26 letters and digits 2 to 7.") in text(response)
    response = client.get(reverse("permits:verify_start"), {"number": issued_permit.number, "code": ""})
    assert response.url == reverse("permits:verify", args=[issued_permit.number])


def upload(client, content: bytes, name="permit.pdf", content_type="application/pdf"):
    return client.post(reverse("permits:verify_file"), {"file": SimpleUploadedFile(name, content, content_type)})


def test_the_issued_file_is_recognised(client, issued_permit):
    response = upload(client, stored_bytes(issued_permit.file))
    assert response.status_code == 200
    page = text(response)
    assert "Yes: this file is exactly the one this portal issued. Its electronic signature is valid." in page
    assert f"Permit {issued_permit.number} was issued by this portal and is valid." in page
    assert "Holder Wang Fang" in page  # whoever holds the file has read it already


def test_a_changed_file_is_told_apart(client, issued_permit, tmp_path):
    response = upload(client, tampered(stored_bytes(issued_permit.file), tmp_path).read_bytes())
    assert response.status_code == 200
    assert "No: this file carries our signature but is not a file we issued." in text(response)
    assert "is valid" not in text(response)


def test_a_pdf_that_is_not_ours(client, db):
    response = upload(client, blank_pdf())
    assert response.status_code == 200
    assert "No: this PDF was not issued by this portal" in text(response)


@pytest.mark.parametrize("content", [b"GIF89a not a pdf", b"%PDF-1.7 broken \x00\xff" * 50, "你好".encode()])
def test_a_file_that_is_not_a_pdf(client, content, db):
    response = upload(client, content, name="photo.gif", content_type="image/gif")
    assert response.status_code == 200
    assert "This file is not a PDF, so it cannot be a permit from this portal." in text(response)


def test_no_file_an_empty_file_or_a_huge_one(client, settings, db):
    response = client.post(reverse("permits:verify_file"), {})
    assert response.status_code == 400 and "The permit file (PDF): This field is required." in text(response)
    response = upload(client, b"")
    assert response.status_code == 400 and "The submitted file is empty." in text(response)
    settings.PERMIT_VERIFY_UPLOAD_MAX_BYTES = 1000
    response = upload(client, b"%PDF-" + b"0" * 2000)
    assert response.status_code == 400 and "The file is larger than 1000" in text(response)
    assert client.get(reverse("permits:verify_file")).status_code == 200


def test_verification_is_rate_limited_per_client(client, settings, issued_permit):
    settings.PERMIT_VERIFY_RATE = "3/m"
    settings.PERMIT_VERIFY_UPLOAD_RATE = "1/m"
    url = reverse("permits:verify", args=[issued_permit.number])
    assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "You have checked many permits in a short time." in text(client.get(url))
    assert client.get(url, REMOTE_ADDR="198.51.100.9").status_code == 200
    assert [upload(client, blank_pdf()).status_code for _ in range(2)] == [200, 429]


# --- Staff pages ----------------------------------------------------------------------------------


def test_staff_list_shows_the_permits_of_the_supervisors_departments(client, issued_permit, officers, submit):
    other_service_permit = issued_permit  # the same service: every department of it reviewed both
    second = approve_all(submit(), officers)
    client.force_login(officers["health_supervisor"])
    response = client.get(reverse("permits:manage_list"))
    assert response.status_code == 200
    assert [p.number for p in response.context["permits"]] == [second.number, other_service_permit.number]
    client.force_login(officer(DepartmentFactory(code="parks"), role="supervisor"))
    assert list(client.get(reverse("permits:manage_list")).context["permits"]) == []
    response = client.get(reverse("permits:manage_list"), {"q": second.number})
    assert list(response.context["permits"]) == []


@pytest.mark.parametrize("who", ["officer", "citizen", "manager"])
def test_the_staff_pages_do_not_exist_for_others(client, who, issued_permit, officers, citizen):
    user = {"officer": officers["health"], "citizen": citizen,
            "manager": UserFactory(email="manager@example.gov", role=Role.MANAGER)}[who]
    client.force_login(user)
    for name, method in (("manage_list", "get"), ("manage", "get"), ("revoke", "post"), ("reissue", "post")):
        args = [] if name == "manage_list" else [issued_permit.number]
        response = getattr(client, method)(reverse(f"permits:{name}", args=args), {"revoke-reason": "x"})
        assert response.status_code == 404, name
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=user).count() == 4
    issued_permit.refresh_from_db()
    assert issued_permit.status == PermitStatus.VALID


def test_a_supervisor_of_another_department_gets_404_and_is_on_record(client, issued_permit):
    stranger = officer(DepartmentFactory(code="parks"), role="supervisor")
    client.force_login(stranger)
    assert client.get(reverse("permits:manage", args=[issued_permit.number])).status_code == 404
    assert client.post(reverse("permits:revoke", args=[issued_permit.number]),
                       {"revoke-reason": "Mine now."}).status_code == 404
    assert list(AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=stranger).values_list(
        "object_id", flat=True)) == [issued_permit.number, issued_permit.number]
    issued_permit.refresh_from_db()
    assert issued_permit.status == PermitStatus.VALID


def test_revoke_and_propose_a_correction_through_the_staff_page(client, issued_permit, officers):
    client.force_login(officers["fire_supervisor"])
    page = client.get(reverse("permits:manage", args=[issued_permit.number]))
    assert page.status_code == 200
    assert page.context["reissue_form"].initial == {"holder": "Wang Fang", "business_name": "Golden Dragon",
                                                     "site_address": "1 Harbour Road"}
    response = client.post(reverse("permits:reissue", args=[issued_permit.number]), {
        "reissue-holder": "Wang Fang", "reissue-business_name": "Golden Dragon",
        "reissue-site_address": "1 Harbour Road", "reissue-reason": "Nothing really."})
    assert response.status_code == 400
    assert "Nothing was corrected: change at least one detail." in text(response)
    new = reissued(issued_permit, officers, {"business_name": "Golden Dragon Noodles"})

    response = client.post(reverse("permits:reissue", args=[issued_permit.number]), {
        "reissue-holder": "X", "reissue-reason": "Again."})
    assert response.status_code == 302  # the old one is superseded: a message, not a change
    assert "Only a valid permit can be re-issued; this one is superseded." in text(client.get(response.url))
    assert Permit.objects.count() == 2

    response = client.post(reverse("permits:revoke", args=[new.number]), {"revoke-reason": ""})
    assert response.status_code == 400
    assert "Reason for the revocation: This field is required." in text(response)
    assert permit_render(permit_id=new.pk) == "rendered"
    response = client.post(reverse("permits:revoke", args=[new.number]), {"revoke-reason": "Closed."})
    assert response.status_code == 302
    new.refresh_from_db()
    assert (new.status, new.revocation_reason) == (PermitStatus.REVOKED, "Closed.")
    page = text(client.get(reverse("permits:manage", args=[new.number])))
    assert "Revoke the permit" not in page and "Closed." in page
    assert (f"Proposed by {officers['health_supervisor'].email}, approved by {officers['fire_supervisor'].email}"
            in page)


def test_staff_list_query_count_does_not_grow_with_permits(client, issued_permit, officers, submit):
    client.force_login(officers["health_supervisor"])
    url = reverse("permits:manage_list")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    client.get(url)  # the first request after signing in also touches the session
    one = count()
    approve_all(submit(), officers)
    # The session, the person, the device of their second factor, their role, the page, the corrections
    # waiting, the departments they supervise (whether the holder's name is shown), the header's notices.
    assert count() == one == 8
    history_url = reverse("permits:manage", args=[issued_permit.number])
    client.get(history_url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(history_url)
    before = len(ctx.captured_queries)
    reissued(issued_permit, officers, {"business_name": "Golden Dragon Inn"})
    with CaptureQueriesContext(connection) as ctx:
        client.get(history_url)
    assert len(ctx.captured_queries) == before


def test_the_holder_sees_a_revoked_permit_as_revoked(client, issued_permit, officers, citizen):
    client.force_login(citizen)
    url = reverse("approvals:detail", args=[issued_permit.application_id])
    assert "Your permit is ready" in text(client.get(url))
    permit_revoke(permit_id=issued_permit.pk, actor=officers["tax_supervisor"], reason="Unpaid tax.")
    page = text(client.get(url))
    assert f"Your permit {issued_permit.number} was revoked on {short(timezone.localdate())} Reason: Unpaid tax." in page
    assert "Your permit is ready" not in page


def test_a_permit_produced_before_its_facts_were_stored_still_verifies_and_can_be_corrected(
        client, issued_permit, officers):
    Permit.objects.filter(pk=issued_permit.pk).update(data={})
    page = text(client.get(verify_path(issued_permit)))
    assert "Holder Wang Fang" in page and "Business name Golden Dragon" in page
    new = reissued(issued_permit, officers, {"business_name": "Golden Dragon Inn"})
    assert (new.data["holder"], new.data["business_name"], len(new.data["approvals"])) == (
        "Wang Fang", "Golden Dragon Inn", 4)


def test_staff_pages_show_the_holder_only_to_departments_shown_the_applicants_name(client, issued_permit, officers):
    """Health's requirement lists none of the applicant's identity: its supervisor manages the
    permit with the holder masked as the public sees it, and proposes a correction without the
    holder's name; registration's lists the name (and approves it: four eyes)."""
    client.force_login(officers["health_supervisor"])
    listing = client.get(reverse("permits:manage_list")).content.decode()
    page = client.get(reverse("permits:manage", args=[issued_permit.number]))
    html = page.content.decode()

    assert "Wang Fang" not in listing and "<td>W*** F***</td>" in listing
    assert "Wang Fang" not in html and "<bdi>W*** F***</bdi>" in html
    assert list(page.context["reissue_form"].fields) == ["business_name", "site_address", "reason"]
    response = client.post(reverse("permits:reissue", args=[issued_permit.number]), {
        "reissue-holder": "Someone Else", "reissue-business_name": "Golden Dragon Noodles",
        "reissue-site_address": "1 Harbour Road", "reissue-reason": "Name as registered."})
    assert response.status_code == 302
    proposed = ReissueRequest.objects.get(permit=issued_permit)
    assert proposed.corrections == {"business_name": "Golden Dragon Noodles"}  # the holder is not health's to touch
    new = permit_reissue_approve(request_id=proposed.pk, actor=officers["registration_supervisor"])
    assert (new.data["holder"], new.data["business_name"]) == ("Wang Fang", "Golden Dragon Noodles")

    client.force_login(officers["registration_supervisor"])
    listing = client.get(reverse("permits:manage_list")).content.decode()
    page = client.get(reverse("permits:manage", args=[new.number]))
    assert "<td>Wang Fang</td>" in listing and "<bdi>Wang Fang</bdi>" in page.content.decode()
    assert page.context["reissue_form"].initial["holder"] == "Wang Fang"
