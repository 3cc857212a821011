"""Sharing an application with another department for an opinion: time-limited, held as a
guardian object permission (direct foreign-key table), audited, revocable."""

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_perms

from approvals import sharing, workflow
from approvals.models import ApplicationShare, ApplicationUserObjectPermission
from approvals.tasks import shares_expire_task
from audit.models import Action, AuditEvent
from audit.selectors import staff_accesses
from core.errors import NotAllowed, ValidationFailed
from departments.models import Department, Membership
from departments.services import staff_upsert
from tests.factories import officer
from workspace import selectors

from .share_fixtures import *  # noqa: F403 -- application, health, building

pytestmark = pytest.mark.django_db

grants_migration = importlib.import_module("approvals.migrations.0017_grants_by_share_and_names_by_need")


def share_via_web(client, officers, health, building, days=7, reason="Is the kitchen layout safe?"):
    client.force_login(officers["health_supervisor"])
    return client.post(reverse("departments:share", args=[health.pk]), {
        "share-department": building["department"].pk, "share-days": days, "share-reason": reason})


def fresh(user):
    # guardian's checker caches on the user object; a fresh one sees the current rights.
    return type(user).objects.get(pk=user.pk)


def test_supervisor_shares_and_the_other_department_gets_a_read_only_view(client, application, health, officers,
                                                                          building):
    response = share_via_web(client, officers, health, building)
    assert response.status_code == 302
    share = ApplicationShare.objects.get()
    assert (share.application, share.from_department, share.department, share.granted_by) == (
        application, health.department, building["department"], officers["health_supervisor"])
    assert timedelta(days=6, hours=23) < share.expires_at - share.created_at <= timedelta(days=7)
    for user in (building["officer"], building["supervisor"]):
        assert fresh(user).has_perm("approvals.view_application", application)
        assert "view_application" in get_perms(fresh(user), application)
    assert ApplicationUserObjectPermission.objects.filter(content_object=application).count() == 2
    assert not fresh(officers["tax"]).has_perm("approvals.view_application", application)
    event = AuditEvent.objects.get(object_type="applicationshare")
    assert (event.purpose, event.details["shared_with"], event.actor) == ("share", "building", officers["health_supervisor"])

    client.force_login(building["officer"])
    assert list(selectors.shared_applications_for(building["officer"])) == [share]
    listing = client.get(reverse("departments:shared")).content.decode()
    assert application.reference in listing
    response = client.get(reverse("departments:opinion", args=[share.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Golden Dragon" in html and "plan.pdf" in html  # health's fields
    assert "1 Harbour Road" not in html and "Cuisine" not in html  # fire's, registration's
    # Read-only but for the department's own opinion: the one form on the page is that.
    assert 'name="decision"' not in html
    assert re.findall(r'<form [^>]*action="([^"]*)"', html.split("<main", 1)[-1]) == [
        reverse("departments:opinion_give", args=[share.pk])]
    assert reverse("departments:decide", args=[health.pk]) not in html
    event = AuditEvent.objects.filter(purpose="opinion").get()
    assert (event.action, event.department_code, event.actor) == (Action.APPLICATION_VIEWED, "building",
                                                                  building["officer"])
    attachment = application.attachments.get()
    response = client.get(reverse("departments:opinion_attachment", args=[share.pk, attachment.pk]))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_VIEWED, purpose="opinion").count() == 1
    # Still no decision for the opinion giver: the review itself is another department's.
    assert client.get(reverse("departments:review", args=[health.pk])).status_code == 404


def test_a_plain_officer_cannot_share_and_bad_shares_are_refused(client, application, health, officers, building):
    client.force_login(officers["health"])
    url = reverse("departments:share", args=[health.pk])
    data = {"share-department": building["department"].pk, "share-days": 7, "share-reason": "why"}
    assert client.post(url, data).status_code == 403
    with pytest.raises(NotAllowed):
        sharing.application_share(review_id=health.pk, actor=officers["health"], department_id=building["department"].pk,
                                  days=7, reason="why")
    client.force_login(officers["health_supervisor"])
    assert client.post(url, {**data, "share-department": health.department_id}).status_code == 400
    assert client.post(url, {**data, "share-days": 31}).status_code == 400
    assert client.post(url, {**data, "share-days": 0}).status_code == 400
    assert client.post(url, {**data, "share-reason": " "}).status_code == 400
    with pytest.raises(ValidationFailed):
        sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                  department_id=health.department_id, days=7, reason="why")
    assert not ApplicationShare.objects.exists()
    assert not ApplicationUserObjectPermission.objects.exists()
    # A supervisor of another department cannot share health's review.
    client.force_login(officers["tax_supervisor"])
    assert client.post(url, data).status_code == 404
    assert not ApplicationShare.objects.exists()


def test_expired_share_stops_working_even_with_the_permission(client, application, health, officers, building):
    share_via_web(client, officers, health, building)
    share = ApplicationShare.objects.get()
    ApplicationShare.objects.filter(pk=share.pk).update(
        created_at=timezone.now() - timedelta(days=8), expires_at=timezone.now() - timedelta(seconds=1))
    assert fresh(building["officer"]).has_perm("approvals.view_application", application)
    client.force_login(building["officer"])
    assert client.get(reverse("departments:opinion", args=[share.pk])).status_code == 404
    assert list(selectors.shared_applications_for(building["officer"])) == []
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=building["officer"]).exists()
    assert not AuditEvent.objects.filter(purpose="opinion").exists()


def test_active_share_without_the_permission_is_refused(client, application, health, officers, building):
    share_via_web(client, officers, health, building)
    share = ApplicationShare.objects.get()
    newcomer = officer(building["department"], email="new.building@example.gov")  # joined after the share
    client.force_login(newcomer)
    assert client.get(reverse("departments:opinion", args=[share.pk])).status_code == 404


def test_revoke_removes_the_permission(client, application, health, officers, building):
    share_via_web(client, officers, health, building)
    share = ApplicationShare.objects.get()
    url = reverse("departments:share_revoke", args=[share.pk])
    client.force_login(officers["health"])
    assert client.post(url).status_code == 403  # a plain officer
    client.force_login(building["supervisor"])
    assert client.post(url).status_code == 404  # the department asked, not the asking one
    share.refresh_from_db()
    assert share.revoked_at is None

    client.force_login(officers["health_supervisor"])
    assert client.post(url).status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None and share.revoked_by == officers["health_supervisor"]
    assert not ApplicationUserObjectPermission.objects.exists()
    assert not fresh(building["officer"]).has_perm("approvals.view_application", application)
    assert AuditEvent.objects.filter(object_type="applicationshare", purpose="share_revoked").count() == 1
    client.force_login(building["officer"])
    assert client.get(reverse("departments:opinion", args=[share.pk])).status_code == 404
    # Revoking twice is refused without a second event.
    client.force_login(officers["health_supervisor"])
    client.post(url)
    assert AuditEvent.objects.filter(object_type="applicationshare", purpose="share_revoked").count() == 1


def test_revoking_one_share_keeps_another_active_one(client, application, health, officers, building):
    share_via_web(client, officers, health, building)
    first = ApplicationShare.objects.get()
    tax = application.reviews.get(department__code="tax")
    sharing.application_share(review_id=tax.pk, actor=officers["tax_supervisor"],
                              department_id=building["department"].pk, days=3, reason="Tax question")
    sharing.share_revoke(share_id=first.pk, actor=officers["health_supervisor"])
    assert fresh(building["officer"]).has_perm("approvals.view_application", application)
    second = ApplicationShare.objects.get(revoked_at__isnull=True)
    client.force_login(building["officer"])
    assert client.get(reverse("departments:opinion", args=[second.pk])).status_code == 200
    assert client.get(reverse("departments:opinion", args=[first.pk])).status_code == 404


def test_shares_are_listed_on_the_review_page_for_supervisors(client, application, health, officers, building):
    share_via_web(client, officers, health, building)
    html = client.get(reverse("departments:review", args=[health.pk])).content.decode()
    assert "Building Bureau" in html and "Revoke the share" in html
    client.force_login(officers["health"])
    html = client.get(reverse("departments:review", args=[health.pk])).content.decode()
    assert "Revoke the share" not in html and 'name="share-reason"' not in html


def test_share_outlives_the_asking_departments_decision(application, health, officers, building):
    sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                              department_id=building["department"].pk, days=1, reason="Opinion please")
    workflow.review_decide(review_id=health.pk, actor=officers["health"], decision="approve")
    assert selectors.shared_applications_for(building["officer"]).count() == 1


def expire(share, ago=timedelta(seconds=1)):
    now = timezone.now()
    ApplicationShare.objects.filter(pk=share.pk).update(created_at=now - timedelta(days=8), expires_at=now - ago)


def test_sharing_and_revoking_are_audited_under_their_own_actions(client, application, health, officers, building):
    share_via_web(client, officers, health, building)
    share = ApplicationShare.objects.get()
    sharing.share_revoke(share_id=share.pk, actor=officers["health_supervisor"])
    events = AuditEvent.objects.filter(object_type="applicationshare").order_by("id")
    assert [(e.action, e.purpose, e.actor, e.department_code) for e in events] == [
        (Action.APPLICATION_SHARED, "share", officers["health_supervisor"], "health"),
        (Action.SHARE_REVOKED, "share_revoked", officers["health_supervisor"], "health"),
    ]
    # The applicant sees both under "who viewed my data".

    assert [e.action for e in staff_accesses(application.applicant_id).filter(object_type="applicationshare")] == [
        Action.SHARE_REVOKED, Action.APPLICATION_SHARED]


def test_the_sweep_takes_back_expired_shares_once(application, health, officers, building):
    tax = application.reviews.get(department__code="tax")
    expired = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                        department_id=building["department"].pk, days=7, reason="Kitchen?")
    active = sharing.application_share(review_id=tax.pk, actor=officers["tax_supervisor"],
                                       department_id=Department.objects.get(code="fire").pk, days=7, reason="Exits?")
    expire(expired)
    assert fresh(building["officer"]).has_perm("approvals.view_application", application)

    assert sharing.shares_expire() == 1
    assert not fresh(building["officer"]).has_perm("approvals.view_application", application)
    assert not fresh(building["supervisor"]).has_perm("approvals.view_application", application)
    assert fresh(officers["fire"]).has_perm("approvals.view_application", application)  # still shared with fire
    expired.refresh_from_db()
    active.refresh_from_db()
    assert expired.ended_at is not None and expired.revoked_at is None and active.ended_at is None
    event = AuditEvent.objects.get(action=Action.SHARE_REVOKED)
    assert (event.actor, event.purpose, event.object_id, event.details["shared_with"]) == (
        None, "share_expired", str(expired.pk), "building")

    # A second sweep (or the task) finds nothing left to do and writes nothing.

    assert sharing.shares_expire() == 0
    assert shares_expire_task.apply().get() == 0
    assert AuditEvent.objects.filter(action=Action.SHARE_REVOKED).count() == 1
    assert ApplicationUserObjectPermission.objects.filter(user=officers["fire"]).count() == 1


def test_the_sweep_keeps_a_permission_another_share_still_gives(application, health, officers, building):
    tax = application.reviews.get(department__code="tax")
    first = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=building["department"].pk, days=7, reason="Kitchen?")
    sharing.application_share(review_id=tax.pk, actor=officers["tax_supervisor"],
                              department_id=building["department"].pk, days=7, reason="Tax?")
    expire(first)
    assert sharing.shares_expire() == 1
    assert fresh(building["officer"]).has_perm("approvals.view_application", application)


def test_a_share_not_yet_expired_or_already_revoked_is_left_alone(application, health, officers, building):
    share = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=building["department"].pk, days=1, reason="Kitchen?")
    assert sharing.shares_expire(now=share.expires_at - timedelta(seconds=1)) == 0
    sharing.share_revoke(share_id=share.pk, actor=officers["health_supervisor"])
    expire(share)
    assert sharing.shares_expire() == 0
    assert AuditEvent.objects.filter(action=Action.SHARE_REVOKED).count() == 1


def test_shared_list_query_count_is_constant(client, application, health, officers, building, submit):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        client.get(reverse("departments:shared"))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("departments:shared"))
        return response, queries

    def share(app):
        review = app.reviews.get(department__code="health")
        sharing.application_share(review_id=review.pk, actor=officers["health_supervisor"],
                                  department_id=building["department"].pk, days=3, reason="Opinion please")

    share(application)
    client.force_login(building["officer"])
    one_response, one = count()
    share(submit())
    share(submit())
    three_response, three = count()
    assert len(three_response.context["shares"]) == 3
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


# --- Grants are kept by their own record: the share and the membership each grant came through --------


def grants(application):
    """(member's email, share's department) of every view grant on the application."""
    return sorted(ApplicationUserObjectPermission.objects.filter(content_object=application)
                  .values_list("user__email", "share__department__code"))


def test_a_member_who_leaves_the_department_loses_the_shares_grant(client, application, health, officers, building):
    share = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=building["department"].pk, days=7, reason="Kitchen?")
    leaver = building["officer"]
    assert fresh(leaver).has_perm("approvals.view_application", application)

    staff_upsert(email=leaver.email, password="another-long-passphrase", role="officer", departments=["fire"])

    assert not fresh(leaver).has_perm("approvals.view_application", application)
    assert grants(application) == [("supervisor.building@example.gov", "building")]
    client.force_login(fresh(leaver))  # signed in with the new password
    assert client.get(reverse("departments:opinion", args=[share.pk])).status_code == 404
    # Coming back to the department later gives no grant from a share made before.
    staff_upsert(email=leaver.email, password="another-long-passphrase", role="officer", departments=["building"])
    assert not fresh(leaver).has_perm("approvals.view_application", application)


def test_a_membership_removed_in_the_admin_takes_its_grants_with_it(admin_client, application, health, officers,
                                                                     building):
    sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                              department_id=building["department"].pk, days=7, reason="Kitchen?")
    department = building["department"]
    url = reverse("admin:departments_department_change", args=[department.pk])
    page = admin_client.get(url)
    formset = next(i.formset for i in page.context["inline_admin_formsets"] if i.formset.prefix == "memberships")
    data = {"code": department.code, "name": '{"en": "Building Bureau", "zh-hans": "建设局"}', "email": "",
            **{f"memberships-{k}": v for k, v in formset.management_form.initial.items()}}
    for i, form in enumerate(formset.forms):
        data.update({f"memberships-{i}-id": form.instance.pk, f"memberships-{i}-user": form.instance.user_id,
                     f"memberships-{i}-role": form.instance.role, f"memberships-{i}-department": department.pk})
        if form.instance.user_id == building["officer"].pk:
            data[f"memberships-{i}-DELETE"] = "on"
        else:  # an existing membership's person cannot be swapped for another: that would be a leave unseen
            data[f"memberships-{i}-user"] = officers["tax"].pk

    assert admin_client.post(url, data).status_code == 302

    assert list(department.memberships.values_list("user__email", flat=True)) == ["supervisor.building@example.gov"]
    assert not fresh(building["officer"]).has_perm("approvals.view_application", application)
    assert grants(application) == [("supervisor.building@example.gov", "building")]
    assert not fresh(officers["tax"]).has_perm("approvals.view_application", application)


def test_revoking_removes_the_grants_of_members_who_moved_on(application, health, officers, building):
    """The grant is found by its share, not by who belongs to the department today."""
    share = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=building["department"].pk, days=7, reason="Kitchen?")
    fire = Department.objects.get(code="fire")
    Membership.objects.create(user=building["officer"], department=fire, role="officer")  # joins fire too
    tax = application.reviews.get(department__code="tax")
    sharing.application_share(review_id=tax.pk, actor=officers["tax_supervisor"], department_id=fire.pk, days=7,
                              reason="Exits?")
    assert grants(application) == [
        ("officer.building@example.gov", "building"), ("officer.building@example.gov", "fire"),
        ("officer.fire@example.gov", "fire"), ("supervisor.building@example.gov", "building"),
        ("supervisor.fire@example.gov", "fire")]

    sharing.share_revoke(share_id=share.pk, actor=officers["health_supervisor"])

    # The member of both keeps the grant fire's share gave them; building's are all gone.
    assert grants(application) == [("officer.building@example.gov", "fire"), ("officer.fire@example.gov", "fire"),
                                   ("supervisor.fire@example.gov", "fire")]
    assert fresh(building["officer"]).has_perm("approvals.view_application", application)
    assert not fresh(building["supervisor"]).has_perm("approvals.view_application", application)


def test_joining_a_shared_department_later_does_not_keep_a_revoked_grant(application, health, officers, building):
    """A member of building who joined fire after fire's share got nothing from that share: when
    building's share ends, nothing is left to them."""
    tax = application.reviews.get(department__code="tax")
    fire = Department.objects.get(code="fire")
    sharing.application_share(review_id=tax.pk, actor=officers["tax_supervisor"], department_id=fire.pk, days=7,
                              reason="Exits?")
    share = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=building["department"].pk, days=7, reason="Kitchen?")
    Membership.objects.create(user=building["officer"], department=fire, role="officer")

    sharing.share_revoke(share_id=share.pk, actor=officers["health_supervisor"])

    assert not fresh(building["officer"]).has_perm("approvals.view_application", application)
    assert grants(application) == [("officer.fire@example.gov", "fire"), ("supervisor.fire@example.gov", "fire")]


def test_the_sweep_removes_the_grants_of_an_expired_share_by_its_record(application, health, officers, building):
    share = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=building["department"].pk, days=7, reason="Kitchen?")
    staff_upsert(email=building["officer"].email, password="another-long-passphrase", role="officer",
                 departments=["building", "fire"])  # a role kept, a department added: the grant stays
    assert fresh(building["officer"]).has_perm("approvals.view_application", application)
    expire(share)

    assert sharing.shares_expire() == 1

    assert grants(application) == []


def test_the_migration_puts_earlier_grants_on_record_and_drops_leftovers(application, health, officers, building):
    fire = Department.objects.get(code="fire")
    Membership.objects.create(user=building["officer"], department=fire, role="officer")
    sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                              department_id=building["department"].pk, days=7, reason="Kitchen?")
    tax = application.reviews.get(department__code="tax")
    sharing.application_share(review_id=tax.pk, actor=officers["tax_supervisor"], department_id=fire.pk, days=7,
                              reason="Exits?")
    permission = ApplicationUserObjectPermission.objects.values_list("permission_id", flat=True).first()
    # As rows were before they named their share: one per person, and a leftover of someone no
    # share explains (a member who left long ago).
    people = {*ApplicationUserObjectPermission.objects.values_list("user_id", flat=True), officers["registration"].pk}
    ApplicationUserObjectPermission.objects.all().delete()
    ApplicationUserObjectPermission.objects.bulk_create([
        ApplicationUserObjectPermission(user_id=pk, permission_id=permission, content_object=application) for pk in people])

    grants_migration.grants_on_record(apps, None)

    assert grants(application) == [
        ("officer.building@example.gov", "building"), ("officer.building@example.gov", "fire"),
        ("officer.fire@example.gov", "fire"), ("supervisor.building@example.gov", "building"),
        ("supervisor.fire@example.gov", "fire")]
    assert set(ApplicationUserObjectPermission.objects.values_list("share__department_id", "membership__department_id")) \
        == {(building["department"].pk, building["department"].pk), (fire.pk, fire.pk)}


def test_the_admin_shows_shares_and_changes_none(admin_client, application, health, officers, building):
    share = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=building["department"].pk, days=7, reason="Opinion please")
    before = list(ApplicationShare.objects.values())
    page = admin_client.get(reverse("admin:approvals_applicationshare_change", args=[share.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert admin_client.get(reverse("admin:approvals_applicationshare_add")).status_code == 403
    assert admin_client.post(reverse("admin:approvals_applicationshare_change", args=[share.pk]),
                             {"reason": "Changed"}).status_code == 403
    assert admin_client.post(reverse("admin:approvals_applicationshare_delete", args=[share.pk]),
                             {"post": "yes"}).status_code == 403
    assert list(ApplicationShare.objects.values()) == before
