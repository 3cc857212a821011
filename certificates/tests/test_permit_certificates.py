"""A permit the portal issues enters its holder's wallet once, as what it prints; its state is the
permit's, read live (revocation and re-issue copy nothing); the data migration puts permits
issued before the wallet existed into it, once."""

import importlib

import pytest
from django.apps import apps

from approvals.permit_flow import permit_reissue_approve, permit_reissue_propose, permit_render, permit_revoke
from catalogue.models import Service
from certificates.models import Certificate, CertificateStatus
from certificates.selectors import held_valid, wallet_for
from certificates.services import certificate_of_permit

from .conftest import COMPANY_CODE, PERSON_ID, approve_all, verify

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("certificates.migrations.0003_backfill_permit_certificates")


def test_issuing_a_permit_puts_exactly_one_certificate_in_the_wallet(issue, citizen, permit_type):
    permit = issue()
    certificate = Certificate.objects.get()
    assert (certificate.type, certificate.number, certificate.source, certificate.issuer, certificate.holder,
            certificate.holder_name, certificate.holder_id_number, certificate.company_code, certificate.company_name,
            certificate.valid_from, certificate.valid_until, certificate.permit, certificate.replaces) == (
        permit_type, permit.number, "portal", None, citizen, "Wang Fang", "", "", "Golden Dragon",
        permit.valid_from, permit.valid_until, permit, None)
    assert certificate.data == permit.data
    assert certificate.data["holder"] == "Wang Fang"
    assert certificate.state() == "valid"
    # The render task runs again (a redelivered nudge): the file exists, nothing more is made; the
    # function itself called again finds the row it made.
    assert permit_render(permit_id=permit.pk) == "skipped"
    assert certificate_of_permit(permit) == certificate
    assert Certificate.objects.count() == 1


def test_approval_alone_puts_nothing_in_the_wallet(submit, officers, permit_type, citizen):
    """The permit is issued when its file is produced: until then it is being issued, in no wallet."""
    approve_all(submit(), officers)
    assert Certificate.objects.count() == 0
    assert list(wallet_for(citizen)) == []


def test_a_service_naming_no_certificate_type_puts_nothing_in_the_wallet(issue, restaurant):
    Service.objects.filter(pk=restaurant.pk).update(certificate_type=None)
    issue()
    assert Certificate.objects.count() == 0


def test_only_a_verified_identity_number_and_a_code_well_formed_are_copied(issue, citizen):
    citizen.id_number = "110101199001019999"  # typed into the profile: vouched for by nobody
    citizen.save(update_fields=["id_number"])
    issue(answers={"business_name": "Golden Dragon", "cuisine": "chinese", "seats": "40",
                   "site_address": "1 Harbour Road"})
    assert Certificate.objects.get().holder_id_number == ""
    Certificate.objects.all().delete()

    verify(citizen)
    permit = issue()
    application = permit.application
    assert Certificate.objects.get(permit=permit).holder_id_number == PERSON_ID
    # A form asking for the company's unified social credit code: copied as the company's.
    Certificate.objects.all().delete()
    application.answers = {**application.answers, "unified_social_credit_code": COMPANY_CODE.lower()}
    application.save(update_fields=["answers"])
    permit.application = application
    certificate = certificate_of_permit(permit)
    assert (certificate.company_code, certificate.company_name) == (COMPANY_CODE, "Golden Dragon")


def test_revocation_shows_at_once_without_copying(issue, officers, citizen):
    permit = issue()
    certificate = Certificate.objects.get()
    permit_revoke(permit_id=permit.pk, actor=officers["health_supervisor"], reason="The restaurant closed.")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID  # the row is untouched: the permit says it
    assert Certificate.objects.select_related("permit").get().state() == "revoked"
    assert held_valid(citizen, "restaurant_permit") == []


def test_a_reissue_enters_the_wallet_in_place_of_the_permit_it_supersedes(issue, officers, citizen):
    old_permit = issue()
    old = Certificate.objects.get()
    request = permit_reissue_propose(permit_id=old_permit.pk, actor=officers["health_supervisor"],
                                     corrections={"business_name": "Golden Dragon Ltd"}, reason="Registered name.")
    new_permit = permit_reissue_approve(request_id=request.pk, actor=officers["fire_supervisor"])
    # Superseded at once, read live; the new one enters when its file is produced.
    assert Certificate.objects.select_related("permit").get(pk=old.pk).state() == "superseded"
    assert Certificate.objects.count() == 1
    assert held_valid(citizen, "restaurant_permit") == []
    assert permit_render(permit_id=new_permit.pk) == "rendered"
    new = Certificate.objects.get(permit=new_permit)
    assert (new.number, new.replaces, new.company_name, new.data["business_name"], new.valid_until) == (
        new_permit.number, old, "Golden Dragon Ltd", "Golden Dragon Ltd", old_permit.valid_until)
    assert held_valid(citizen, "restaurant_permit") == [new]
    assert [c.number for c in wallet_for(citizen)] == [new_permit.number, old_permit.number]


def test_backfill_puts_earlier_permits_in_the_wallet_once(issue, officers, restaurant, permit_type, citizen):
    Service.objects.filter(pk=restaurant.pk).update(certificate_type=None)  # issued before the wallet
    first = issue()
    request = permit_reissue_propose(permit_id=first.pk, actor=officers["health_supervisor"],
                                     corrections={"holder": "Wang Fang (Ms)"}, reason="Name as on her ID.")
    second = permit_reissue_approve(request_id=request.pk, actor=officers["fire_supervisor"])
    permit_render(permit_id=second.pk)
    assert Certificate.objects.count() == 0
    Service.objects.filter(pk=restaurant.pk).update(certificate_type=permit_type)

    assert backfill.backfill_permit_certificates(apps) == 2
    old, new = Certificate.objects.get(permit=first), Certificate.objects.get(permit=second)
    second.refresh_from_db()
    assert (new.replaces, new.holder, new.holder_name, new.data, new.valid_from, new.valid_until) == (
        old, citizen, "Wang Fang (Ms)", second.data, second.valid_from, second.valid_until)
    assert old.state() == "superseded"
    # Idempotent: run again, nothing more.
    assert backfill.backfill_permit_certificates(apps) == 0
    assert Certificate.objects.count() == 2


def test_backfill_skips_permits_whose_file_is_not_produced(submit, officers, permit_type):
    approve_all(submit(), officers)
    assert backfill.backfill_permit_certificates(apps) == 0  # its render will put it in the wallet
    assert Certificate.objects.count() == 0
