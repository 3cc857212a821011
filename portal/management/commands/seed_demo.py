"""Load the demo: catalogue, staff for every department and role, citizens, and sample
applications in every state. Idempotent: running it again changes nothing."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Role
from accounts.services import staff_upsert
from approvals import workflow
from approvals.models import Application, ReviewStatus
from approvals.simulation import sample_answers, sample_upload
from catalogue.models import Service
from catalogue.schema import Schema
from departments.models import Department
from permits.models import Permit
from permits.services import permit_render

DEMO_CATALOGUE = Path(settings.BASE_DIR) / "catalogue" / "demo" / "catalogue.yaml"
DEFAULT_PASSWORD = "demo-portal-2026"  # noqa: S105 -- demo accounts only, printed at start
CITIZENS = [
    ("wang.fang@demo.example.org", "Wang Fang 王芳"),
    ("li.lei@demo.example.org", "Li Lei 李雷"),
]


class Command(BaseCommand):
    help = "Load the demo catalogue, staff, citizens and sample applications in every state (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password for every demo account.")

    def handle(self, *args, password, **options):
        call_command("load_catalogue", str(DEMO_CATALOGUE), stdout=self.stdout, stderr=self.stderr)
        logins = self._staff(password)
        citizens = self._citizens(password)
        logins += [(email, "citizen", "") for email, _name in CITIZENS]
        created = self._samples(citizens)
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready: {created} sample applications created." if created else "Demo ready (samples already present)."
        ))
        self.stdout.write(f"\nDemo logins (password: {password}):")
        for email, role, departments in logins:
            self.stdout.write(f"  {role:<10} {email}{'  [' + departments + ']' if departments else ''}")

    def _staff(self, password):
        logins = []
        for department in Department.objects.order_by("code"):
            for role in (Role.OFFICER, Role.SUPERVISOR):
                email = f"{role}.{department.code}@demo.example.gov"
                staff_upsert(email=email, password=password, role=role, departments=[department.code],
                             full_name=f"{role.label} ({department.code})")
                logins.append((email, role, department.code))
        for role in (Role.MANAGER, Role.AUDITOR, Role.ADMIN):
            email = f"{role}@demo.example.gov"
            staff_upsert(email=email, password=password, role=role, departments=[], full_name=str(role.label))
            logins.append((email, role, ""))
        return logins

    def _citizens(self, password):
        from django.contrib.auth import get_user_model

        User = get_user_model()
        users = []
        for email, name in CITIZENS:
            user, created = User.objects.get_or_create(
                email=email, defaults={"full_name": name, "role": Role.CITIZEN, "email_verified": True},
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            users.append(user)
        return users

    @transaction.atomic
    def _samples(self, citizens) -> int:
        citizen, other = citizens
        if Application.objects.filter(applicant__in=citizens).exists():
            return 0
        service = Service.objects.get(slug="open-a-restaurant")
        schema = Schema(service.current_version.schema)
        answers = sample_answers(schema)
        answers.update({k: v for k, v in {
            "business_name": "Golden Dragon Noodle House", "site_address": "88 Harbour Road, Central District",
        }.items() if k in schema.fields_by_key})

        def officer_of(review):
            return review.department.memberships.filter(role="officer").select_related("user").first().user

        def new(applicant, submit=True):
            application = workflow.application_start(applicant=applicant, service=service)
            workflow.application_save_answers(application_id=application.pk, actor=applicant, data=answers)
            for spec in schema.fields:
                if spec["kind"] == "file":
                    workflow.application_attach(application_id=application.pk, actor=applicant, field_key=spec["key"],
                                                uploaded=sample_upload(spec))
            if submit:
                workflow.application_submit(application_id=application.pk, actor=applicant)
            return application

        def decide_all(application, decision="approve", stage=None, **kwargs):
            for review in application.reviews.select_related("department").filter(status=ReviewStatus.PENDING):
                if stage is None or review.stage == stage:
                    workflow.review_decide(review_id=review.pk, actor=officer_of(review), decision=decision, **kwargs)

        new(citizen, submit=False)  # draft
        new(citizen)  # in review, stage 1
        in_stage_two = new(other)
        decide_all(in_stage_two, stage=1, conditions="Display the licence at the entrance.")
        correction = new(citizen)  # needs correction
        first = correction.reviews.select_related("department").filter(status=ReviewStatus.PENDING).first()
        fields = [k for k in schema.department_fields(first.department.code) if schema.fields_by_key[k]["kind"] != "file"]
        workflow.review_decide(review_id=first.pk, actor=officer_of(first), decision="correction",
                               correction_fields=fields[:1], message="Please give the name exactly as registered.")
        rejected = new(other)
        review = rejected.reviews.select_related("department").filter(status=ReviewStatus.PENDING).first()
        workflow.review_decide(review_id=review.pk, actor=officer_of(review), decision="reject",
                               reason="The site is not zoned for catering.")
        withdrawn = new(other)
        workflow.application_withdraw(application_id=withdrawn.pk, actor=other)
        issued = new(citizen)
        decide_all(issued, conditions="Annual kitchen inspection.")
        decide_all(issued)
        approved = new(other)  # approved; its permit file is produced by the worker
        decide_all(approved)
        decide_all(approved)
        transaction.on_commit(lambda: permit_render(permit_id=Permit.objects.get(application=issued).pk))
        return Application.objects.filter(applicant__in=citizens).count()
