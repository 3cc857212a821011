"""What the citizen is told after submitting: which departments review in which stage, when a
decision is expected, and the PDF receipt that records the submission.

Expected dates are working-day deadlines (catalogue.calendar): a stage whose reviews are routed
uses their due dates; a stage not reached yet is counted from the expected end of the one
before it, with the longest time limit among its departments. A finished stage ends on its
last decision."""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import timezone, translation

from core.i18n import translated
from core.pdf import render_pdf

from .answers import answer_sections
from .applicable import application_not_needed, routed
from .evidence import chosen_of
from .models import REVIEW_UNDECIDED, Application, Review
from .payment_selectors import fee_of
from .sla import clock_now, local_date, local_today, sla_calendars


@dataclass
class Stage:
    number: int
    reviews: list[Review] = field(default_factory=list)
    expected_by: date | None = None
    finished: bool = False  # every department of the stage decided
    current: bool = False

    @property
    def departments(self) -> list:
        return [r.department for r in self.reviews]


def stage_plan(application: Application) -> list[Stage]:
    """The stages of a submitted application, in order, with their reviews and expected dates
    (uses the prefetched ``application.reviews``). An open stage ends on the latest of its
    reviews' ends: a decision's day, a routed review's due date as the engine holds it today (a
    paused clock's moves while it stands still), else its time limit counted from the later of
    today and the end of the stage before."""
    if application.submitted_at is None:
        return []
    stages: dict[int, Stage] = {}
    for review in routed(application, application.reviews.all()):
        stages.setdefault(review.stage, Stage(number=review.stage)).reviews.append(review)
    calendars, today = sla_calendars(), local_today()
    start = local_date(application.submitted_at)
    plan = [stages[n] for n in sorted(stages)]
    for stage in plan:
        stage.current = stage.number == application.current_stage and not application.is_final
        stage.finished = all(r.status not in REVIEW_UNDECIDED for r in stage.reviews)
        ends = []
        for review in stage.reviews:
            calendar = calendars.of(review.department_id)
            if review.status not in REVIEW_UNDECIDED:
                ends.append(local_date(review.decided_at) if review.decided_at else start)
            elif due := clock_now(calendar=calendar, review=review, today=today)["due_date"]:
                ends.append(due)
            else:
                ends.append(calendar.add_working_days(max(start, today), review.sla_days))
        stage.expected_by = max(ends, default=start)
        start = stage.expected_by
    return plan


def receipt_context(application: Application) -> dict:
    schema = application.schema
    plan = stage_plan(application)
    return {
        "application": application,
        "applicant": application.applicant,
        "service_name": translated(schema.data["service"]["name"]),
        "version": application.service_version.number,
        "stages": plan,
        "first_decisions_by": plan[0].expected_by if plan else None,
        "final_decision_by": plan[-1].expected_by if plan else None,
        "sections": answer_sections(schema, application.answers, application.attachments.all(),
                                    certificates={k: row.certificate for k, row in chosen_of(application).items()}),
        "not_needed": application_not_needed(application),
        "fee": fee_of(application),
        "issued_at": timezone.localtime(timezone.now(), timezone.get_default_timezone()),
        "language": translation.get_language(), "site_url": settings.SITE_URL,
    }


def render_receipt_pdf(application: Application) -> bytes:
    """The receipt in the active language (the citizen's), as PDF bytes."""
    return render_pdf("approvals/receipt_pdf.html", receipt_context(application))
