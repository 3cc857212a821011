"""What the citizen is told after submitting: which departments review in which stage, when a
decision is expected, and the PDF receipt that records the submission.

Expected dates are working-day deadlines (catalogue.calendar): a stage whose reviews are routed
uses their due dates; a stage not reached yet is counted from the expected end of the one
before it, with the longest time limit among its departments. A finished stage ends on its
last decision."""

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone, translation

from catalogue.i18n import translated

from .answers import answer_sections
from .models import REVIEW_UNDECIDED, Application, Review
from .sla import local_today, sla_calendar


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


def _local_date(moment) -> date:
    return timezone.localdate(moment, timezone=timezone.get_default_timezone())


def stage_plan(application: Application) -> list[Stage]:
    """The stages of a submitted application, in order, with their reviews and expected dates
    (uses the prefetched ``application.reviews``)."""
    if application.submitted_at is None:
        return []
    stages: dict[int, Stage] = {}
    for review in application.reviews.all():
        stages.setdefault(review.stage, Stage(number=review.stage)).reviews.append(review)
    calendar = sla_calendar()
    start = _local_date(application.submitted_at)
    plan = [stages[n] for n in sorted(stages)]
    for stage in plan:
        stage.current = stage.number == application.current_stage and not application.is_final
        stage.finished = all(r.status not in REVIEW_UNDECIDED for r in stage.reviews)
        if stage.finished:
            decided = [_local_date(r.decided_at) for r in stage.reviews if r.decided_at]
            stage.expected_by = max(decided, default=start)
        elif all(r.due_date for r in stage.reviews):
            stage.expected_by = max(r.due_date for r in stage.reviews)
        else:
            begin = max(start, local_today()) if stage.current else start
            stage.expected_by = calendar.add_working_days(begin, max(r.sla_days for r in stage.reviews))
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
        "sections": answer_sections(schema, application.answers, application.attachments.all()),
        "issued_at": timezone.localtime(timezone.now(), timezone.get_default_timezone()),
        "language": translation.get_language(),
    }


def render_receipt_pdf(application: Application) -> bytes:
    """The receipt in the active language (the citizen's), as PDF bytes."""
    from permits.rendering import render_pdf  # WeasyPrint is imported only when a receipt is asked for

    return render_pdf("approvals/receipt_pdf.html", receipt_context(application))
