"""Binding an asserted identity to an account (accounts.identities): which account signs in, what is
created or linked, what is refused, and that a refusal writes nothing."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import counter
from accounts.errors import ClaimFailed, IdentityRefused
from accounts.identities import Assertion, Outcome, identity_link, identity_sign_in
from accounts.models import AccountClaim, Assurance, ExternalIdentity, Role, User
from tests.factories import UserFactory
from tests.oidc_provider.fixtures import COUNTER_NUMBER, LI_MEI_NUMBER

pytestmark = pytest.mark.django_db

ISSUER = "https://eid.example.gov"
LI_MEI = Assertion(issuer=ISSUER, subject="sub-li-mei", provider_name="National e-ID", full_name="Li Mei",
                   assurance=Assurance.SUBSTANTIAL, email="li.mei@example.cn", email_verified=True,
                   phone="+86 139 1234 5678", id_number=LI_MEI_NUMBER)


def counts() -> tuple[int, int]:
    return User.objects.count(), ExternalIdentity.objects.count()


def test_the_first_sign_in_creates_a_verified_citizen_account():
    binding = identity_sign_in(assertion=LI_MEI, language="zh-hans")

    assert binding.outcome == Outcome.CREATED and binding.proof == "new_account"
    user = User.objects.get()
    assert binding.user == user
    assert (user.email, user.full_name, user.phone, user.id_number) == (
        "li.mei@example.cn", "Li Mei", "+86 139 1234 5678", LI_MEI_NUMBER)
    assert (user.role, user.email_verified, user.language) == (Role.CITIZEN, True, "zh-hans")
    assert (user.assurance, user.identity_verified_by) == (Assurance.SUBSTANTIAL, "National e-ID")
    assert timezone.now() - user.identity_verified_at < timedelta(seconds=10)
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get()
    assert (identity.user, identity.issuer, identity.subject, identity.provider_name, identity.assurance) == (
        user, ISSUER, "sub-li-mei", "National e-ID", Assurance.SUBSTANTIAL)
    assert mail.outbox == []  # the service vouched for the address


def test_an_address_the_service_did_not_verify_gets_a_verification_link(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        identity_sign_in(assertion=replace(LI_MEI, email_verified=False))

    assert User.objects.get().email_verified is False
    assert [m.to for m in mail.outbox] == [["li.mei@example.cn"]]
    assert "/accounts/verify/" in mail.outbox[0].body


def test_the_next_sign_in_lands_on_the_same_account():
    first = identity_sign_in(assertion=LI_MEI)
    ExternalIdentity.objects.update(last_used_at=timezone.now() - timedelta(days=3))

    again = identity_sign_in(assertion=replace(LI_MEI, assurance=Assurance.HIGH, email="changed@example.cn"))

    assert again.outcome == Outcome.RETURNING and again.user == first.user
    assert counts() == (1, 1)
    identity = ExternalIdentity.objects.get()
    assert identity.assurance == Assurance.HIGH
    assert timezone.now() - identity.last_used_at < timedelta(seconds=10)
    assert User.objects.get().email == "li.mei@example.cn"


def test_without_an_email_address_one_is_asked_and_nothing_is_created():
    binding = identity_sign_in(assertion=replace(LI_MEI, email="", email_verified=False))

    assert (binding.outcome, binding.user, binding.account) == (Outcome.NEEDS_EMAIL, None, None)
    assert counts() == (0, 0)


def test_an_account_with_the_same_address_must_prove_it_is_the_same_person():
    existing = UserFactory(email="Li.Mei@example.cn", full_name="Mei L.")

    binding = identity_sign_in(assertion=LI_MEI)

    assert (binding.outcome, binding.user, binding.account) == (Outcome.NEEDS_PROOF, None, existing)
    assert counts() == (1, 0)
    existing.refresh_from_db()
    assert (existing.assurance, existing.id_number) == (Assurance.NONE, "")


def test_an_account_verified_in_person_with_the_same_number_is_linked_without_a_password():
    officer = UserFactory(email="desk@example.gov", role=Role.OFFICER)
    verified_at = timezone.now() - timedelta(days=30)
    walk_in = UserFactory(email="wu.fang@example.org", full_name="Wu Fang", id_number=COUNTER_NUMBER,
                          assurance=Assurance.IN_PERSON, identity_verified_by="Central district counter",
                          identity_verified_at=verified_at, identity_verifier=officer)

    binding = identity_sign_in(assertion=replace(LI_MEI, subject="sub-wu", email="wu.fang@example.cn",
                                                 id_number=COUNTER_NUMBER))

    assert (binding.outcome, binding.user, binding.proof) == (Outcome.LINKED, walk_in, "identity_number")
    assert counts() == (2, 1)
    walk_in.refresh_from_db()
    # The counter's verification stays: it is the stronger one.
    assert (walk_in.assurance, walk_in.identity_verified_by, walk_in.identity_verified_at, walk_in.email) == (
        Assurance.IN_PERSON, "Central district counter", verified_at, "wu.fang@example.org")
    assert ExternalIdentity.objects.get().user == walk_in


def test_linking_a_walk_in_by_the_national_e_id_withdraws_the_claim_letter():
    walk_in = UserFactory(email="wu.fang@example.org", id_number=COUNTER_NUMBER, assurance=Assurance.IN_PERSON,
                          identity_verified_by="Central district counter", identity_verified_at=timezone.now())
    walk_in.set_unusable_password()
    walk_in.save()
    letter = counter._letter_new(walk_in)

    identity_sign_in(assertion=replace(LI_MEI, subject="sub-wu", email="", id_number=COUNTER_NUMBER))

    with pytest.raises(ClaimFailed):
        counter.claim_check(code=letter.code)
    assert AccountClaim.objects.get(user=walk_in).used_at is not None


def test_a_number_someone_only_typed_in_is_no_proof():
    UserFactory(email="typed@example.org", id_number=LI_MEI_NUMBER)  # not verified

    binding = identity_sign_in(assertion=LI_MEI)

    assert binding.outcome == Outcome.CREATED
    assert binding.user.email == "li.mei@example.cn"


def test_a_verified_number_bound_to_another_identity_of_the_service_is_refused():
    holder = identity_sign_in(assertion=LI_MEI).user

    with pytest.raises(IdentityRefused) as refused:
        identity_sign_in(assertion=replace(LI_MEI, subject="sub-someone-else", email="other@example.cn"))

    assert refused.value.message == (
        "This account is already linked to another National e-ID identity. Contact the help desk.")
    assert counts() == (1, 1)
    assert ExternalIdentity.objects.get().user == holder


def test_a_staff_address_is_refused_on_the_email_field():
    UserFactory(email="li.mei@example.cn", role=Role.OFFICER)

    with pytest.raises(IdentityRefused) as refused:
        identity_sign_in(assertion=LI_MEI)

    assert refused.value.field == "email"
    assert refused.value.message == (
        "The email address li.mei@example.cn belongs to a staff account, which does not sign in with National "
        "e-ID. Give another address for your own account.")
    assert counts() == (1, 0)


def test_a_closed_account_does_not_sign_in():
    user = identity_sign_in(assertion=LI_MEI).user
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(IdentityRefused) as refused:
        identity_sign_in(assertion=LI_MEI)

    assert refused.value.message == "This account is closed. Contact the help desk if you need it again."


def test_linking_after_the_password_verifies_the_account():
    account = UserFactory(email="li.mei@example.cn", full_name="Mei L.", id_number="A1234567")

    binding = identity_link(assertion=LI_MEI, user=account)

    assert (binding.outcome, binding.user, binding.proof) == (Outcome.LINKED, account, "password")
    account.refresh_from_db()
    assert (account.full_name, account.id_number, account.phone) == ("Mei L.", LI_MEI_NUMBER, "+86 139 1234 5678")
    assert (account.assurance, account.identity_verified_by) == (Assurance.SUBSTANTIAL, "National e-ID")
    assert ExternalIdentity.objects.get().user == account
    # Signing in again needs no password any more.
    assert identity_sign_in(assertion=LI_MEI).outcome == Outcome.RETURNING


def test_linking_an_account_verified_for_another_number_is_refused():
    account = UserFactory(email="li.mei@example.cn", id_number=COUNTER_NUMBER, assurance=Assurance.IN_PERSON,
                          identity_verified_by="Central district counter")

    with pytest.raises(IdentityRefused) as refused:
        identity_link(assertion=LI_MEI, user=account)

    assert refused.value.message == (
        "This account belongs to a person with another verified identity number, so it cannot be linked to your "
        "National e-ID identity.")
    assert counts() == (1, 0)


def test_linking_is_refused_when_another_verified_account_holds_the_number():
    UserFactory(email="holder@example.org", id_number=LI_MEI_NUMBER, assurance=Assurance.IN_PERSON)
    account = UserFactory(email="li.mei@example.cn")

    with pytest.raises(IdentityRefused) as refused:
        identity_link(assertion=LI_MEI, user=account)

    assert refused.value.message.startswith("Your identity number already belongs to another verified account")
    assert counts() == (2, 0)
    account.refresh_from_db()
    assert account.assurance == Assurance.NONE


def test_an_identity_linked_to_one_account_is_not_linked_to_another():
    identity_sign_in(assertion=LI_MEI)
    other = UserFactory(email="other@example.org")

    with pytest.raises(IdentityRefused) as refused:
        identity_link(assertion=LI_MEI, user=other)

    assert refused.value.message == "This National e-ID identity is already linked to another account on the portal."
    assert ExternalIdentity.objects.get().user.email == "li.mei@example.cn"
