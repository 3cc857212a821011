"""Load the demo: catalogue, staff for every department and role, citizens, and sample
applications in every state (and a convenience store under one combined permit), each moved by
the engine as the worker would (routed, so due dates and processing times are real). Idempotent:
running it again changes nothing, except that demo permits pointing at another address than
SITE_URL are rendered again. Ends with the summary `make run` shows (devtools.demo)."""

from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from approvals import bundle_flow, consultation, workflow
from approvals.filings import filing_acknowledge
from approvals.models import Application, Filing, ReviewStatus
from approvals.permit_flow import permit_render
from catalogue.models import Bundle, Service
from catalogue.schema import Schema
from departments.models import Department
from departments.services import staff_upsert
from devtools import demo
from devtools.samples import sample_answers, sample_upload
from permits.models import Permit

DEMO_CATALOGUE = Path(settings.BASE_DIR) / "catalogue" / "demo" / "catalogue.yaml"
DEFAULT_PASSWORD = "demo-portal-2026"  # noqa: S105 -- demo accounts only, printed at start
# The demo staff's second factor: one authenticator app key for all of them, printed at start
# (`manage.py totp_code EMAIL` prints the code it shows now).
DEMO_TOTP_SECRET = "OCGJPCKDSCHGEJK7PG7IBOMA4UVEWSWL"  # noqa: S105 -- demo accounts only
# The code of the demo's supervising office (Government Service Supervision Office).
SUPERVISING_OFFICE = "supervision"
CITIZENS = [
    ("wang.fang@demo.example.org", "Wang Fang 王芳"),
    ("li.lei@demo.example.org", "Li Lei 李雷"),
]
# The demo citizens' verified identity numbers: the population register of the reference register
# service (register_service.demo) knows them, so the demo can take their registered residence.
IDENTITY_NUMBERS = {"wang.fang@demo.example.org": "110105198806150024", "li.lei@demo.example.org": "110108199002220043"}


class Command(BaseCommand):
    help = "Load the demo catalogue, staff, citizens and sample applications in every state (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password for every demo account.")
        parser.add_argument("--totp-secret", default=DEMO_TOTP_SECRET, metavar="BASE32",
                            help="Authenticator app key (the second factor) of every demo staff account.")

    def handle(self, *args, password, totp_secret, verbosity, **options):
        # The catalogue's counts are for whoever loads a catalogue by hand (-v 2).
        call_command("load_catalogue", str(DEMO_CATALOGUE), stdout=self.stdout if verbosity > 1 else StringIO(),
                     stderr=self.stderr)
        self._supervising_office()
        self._staff(password, totp_secret)
        citizens = self._citizens(password)
        created = self._samples(citizens)
        readdressed = demo.permits_readdress([email for email, _name in CITIZENS])
        if verbosity:
            if created:
                self.stdout.write(f"Demo: {created} sample applications created.")
            if readdressed:
                self.stdout.write(f"Demo permits rendered again for {settings.SITE_URL}: {', '.join(readdressed)}")
            self.stdout.write(demo.summary(citizens=[email for email, _name in CITIZENS], password=password,
                                           totp_secret=totp_secret))

    def _supervising_office(self):
        """The office that handles complaints about a department as a whole, and every complaint
        whose complainant is not satisfied with the department's answer (approvals.complaints)."""
        Department.objects.update_or_create(code=SUPERVISING_OFFICE, defaults={
            "name": {"en": "Government Service Supervision Office", "zh-hans": "政务服务监督办公室"},
            "is_supervising_office": True})

    def _staff(self, password, totp_secret):
        for department in Department.objects.order_by("code"):
            for role in (Role.OFFICER, Role.SUPERVISOR):
                email = f"{role}.{department.code}@demo.example.gov"
                staff_upsert(email=email, password=password, role=role, departments=[department.code],
                             full_name=f"{role.label} ({department.code})", totp_secret=totp_secret)
        for role in (Role.MANAGER, Role.AUDITOR, Role.ADMIN, Role.FINANCE):
            email = f"{role}@demo.example.gov"
            staff_upsert(email=email, password=password, role=role, departments=[], full_name=str(role.label),
                         totp_secret=totp_secret)

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
            if not user.id_number:
                User.objects.filter(pk=user.pk).update(
                    id_number=IDENTITY_NUMBERS[email], assurance="substantial", identity_verified_by="Demo front desk",
                    identity_verified_at=timezone.now())
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
                route(application)
            return application

        def route(application):
            # What the worker does after the commit: start the SLA clocks of the reviews now pending.
            workflow.application_route(application_ids=[application.pk])

        def decide_all(application, decision="approve", stage=None, **kwargs):
            for review in application.reviews.select_related("department").filter(status=ReviewStatus.PENDING):
                if stage is None or review.stage == stage:
                    workflow.review_decide(review_id=review.pk, actor=officer_of(review), decision=decision, **kwargs)
            route(application)  # the next stage, if this one is complete

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
        asked = issued.reviews.select_related("department").order_by("stage", "department__code").first()
        consultation.message_send_by_department(review_id=asked.pk, actor=officer_of(asked),
                                                body="Please keep the signed floor plan on site for the inspection.")
        consultation.thread_mark_read_by_citizen(application_id=issued.pk, actor=citizen)  # read, then answered
        consultation.message_send_by_citizen(application_id=issued.pk, department_id=asked.department_id, actor=citizen,
                                             body="Thank you, it will be at the counter.")
        # The sub-district office is told of both approvals; it acknowledged the first.
        for told in Filing.objects.filter(application=issued).select_related("department"):
            filing_acknowledge(filing_id=told.pk, actor=officer_of(told))
        approved = new(other)  # approved; its permit file is produced by the worker
        decide_all(approved)
        decide_all(approved)
        transaction.on_commit(lambda: permit_render(permit_id=Permit.objects.get(application=issued).pk))
        store = self._one_permit_store(other, route, decide_all)
        transaction.on_commit(lambda: permit_render(permit_id=Permit.objects.get(bundle_application=store).pk))
        return Application.objects.filter(applicant__in=citizens).count()

    def _one_permit_store(self, applicant, route, decide_all):
        """A convenience store applied for once (the one-permit bundle): each department approved
        its part, and one combined permit stands for the business licence and the food permit."""
        row = bundle_flow.bundle_start(applicant=applicant, bundle=Bundle.objects.get(slug="open-a-convenience-store"))[0]
        combined = row.combined
        answers = {**sample_answers(combined), "business_name": "Li's Corner Store", "plans_sign": "false",
                   "site_address": "12 Lotus Lane, Central District", "uses_gas": "false"}
        bundle_flow.bundle_save_page(bundle_application_id=row.pk, actor=applicant, data=answers,
                                     uploads=[(spec["key"], sample_upload(spec)) for spec in combined.fields
                                              if spec["kind"] == "file"])
        bundle_flow.bundle_submit(bundle_application_id=row.pk, actor=applicant)
        for child in Application.objects.filter(bundle_application=row).order_by("pk"):
            route(child)
            decide_all(child)
        return row
