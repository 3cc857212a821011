"""What a person holds: their account's certificates, and those issued to their identity number
or their company's code once that number is verified; never a number someone only typed."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Assurance
from certificates.models import Certificate, CertificateConsent, CertificateStatus
from certificates.selectors import certificate_for_holder, checkable, held_valid, holder_account_id, wallet_for
from tests.factories import DepartmentFactory

from .conftest import COMPANY_CODE, PERSON_ID, pushed, verify

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


def numbers(certificates) -> list[str]:
    return [c.number for c in certificates]


def test_an_unverified_identity_number_matches_nothing(citizen, licence_type, market):
    pushed(licence_type, market)
    citizen.id_number = PERSON_ID  # typed into the profile
    citizen.save(update_fields=["id_number"])
    assert numbers(wallet_for(citizen)) == []
    assert held_valid(citizen, "food_licence", TODAY) == []
    with pytest.raises(Certificate.DoesNotExist):
        certificate_for_holder(citizen, "SP-2026-0001")


def test_a_verified_identity_number_holds_what_was_issued_to_it(citizen, other_citizen, licence_type, market):
    mine = pushed(licence_type, market)
    pushed(licence_type, market, number="SP-2026-0002", holder_id_number="110101198001015678")
    verify(citizen, PERSON_ID.lower())  # the check is on the number, whatever its case
    assert numbers(wallet_for(citizen)) == ["SP-2026-0001"]
    assert certificate_for_holder(citizen, "SP-2026-0001") == mine
    assert certificate_for_holder(citizen, " SP-2026-0001 ", certificate_type_code="food_licence") == mine
    # Another holder's certificate, a number never issued, another type: alike, not found.
    for number, code in (("SP-2026-0002", None), ("SP-2026-9999", None), ("SP-2026-0001", "restaurant_permit")):
        with pytest.raises(Certificate.DoesNotExist):
            certificate_for_holder(citizen, number, certificate_type_code=code)
    assert numbers(wallet_for(other_citizen)) == []
    assert holder_account_id(mine) == citizen.pk


def test_a_company_account_holds_its_companys_certificates(licence_type, market, other_citizen):
    company = verify(other_citizen, COMPANY_CODE)
    theirs = pushed(licence_type, market, holder_id_number="110101198001015678", company_code=COMPANY_CODE,
                    company_name="Harbour Noodles Ltd")
    assert list(wallet_for(company)) == [theirs]


def test_held_valid_lists_the_valid_ones_of_a_type_newest_first(citizen, licence_type, market, permit_type):
    verify(citizen)
    older = pushed(licence_type, market, number="A-1", valid_from=date(2025, 1, 1), valid_until=None)
    newer = pushed(licence_type, market, number="A-2", valid_from=date(2026, 3, 1))
    pushed(licence_type, market, number="A-3", valid_until=date(2026, 5, 31))  # expired the day before
    pushed(licence_type, market, number="A-4", valid_from=date(2026, 6, 2))  # not yet valid
    pushed(licence_type, market, number="A-5", status=CertificateStatus.REVOKED)
    pushed(licence_type, market, number="A-6", status=CertificateStatus.SUPERSEDED)
    pushed(permit_type, market, number="A-7")  # another type
    with CaptureQueriesContext(connection) as queries:
        valid = held_valid(citizen, "food_licence", TODAY)
        states = [c.state(TODAY) for c in valid]  # with the permit read along: no query more
    assert (numbers(valid), states, len(queries)) == (["A-2", "A-1"], ["valid", "valid"], 1)
    assert valid == [newer, older]
    assert numbers(held_valid(citizen, "food_licence", date(2026, 6, 2))) == ["A-4", "A-2", "A-1"]


def test_a_department_checks_its_own_certificates_or_with_consent(citizen, licence_type, market):
    verify(citizen)
    certificate = pushed(licence_type, market)
    bank = DepartmentFactory(code="bank")
    assert checkable(market, "food_licence", "SP-2026-0001") == (certificate, citizen.pk)
    assert checkable(bank, "food_licence", "SP-2026-0001") is None
    assert checkable(bank, "food_licence", "SP-2026-9999") is None
    consent = CertificateConsent.objects.create(certificate=certificate, department=bank, granted_by=citizen,
                                                expires_at=timezone.now() + timedelta(days=1))
    assert checkable(bank, "food_licence", "SP-2026-0001") == (certificate, citizen.pk)
    consent.expires_at = timezone.now()
    consent.save()
    assert checkable(bank, "food_licence", "SP-2026-0001") is None


def test_an_assurance_removed_removes_the_match(citizen, licence_type, market):
    pushed(licence_type, market)
    verify(citizen)
    assert numbers(wallet_for(citizen)) == ["SP-2026-0001"]
    citizen.assurance = Assurance.NONE
    citizen.save(update_fields=["assurance"])
    assert numbers(wallet_for(citizen)) == []
