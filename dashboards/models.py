"""Summary tables of the dashboards, kept by ``dashboards.stats``.

Facts are one row per application and per review: what each of them last contributed to the
summaries. The summaries are small tables keyed by local day, service and department, so a page
view sums a few thousand rows whatever the size of the history. A change is applied as
(new contribution − old contribution), which makes processing the same application twice harmless."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# department_id of the application-level rows of DayStat (all departments together).
ALL_DEPARTMENTS = 0


class StatsCursor(models.Model):
    """The position in the sealed audit chain up to which the summaries are up to date (one row)."""

    seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)


class ApplicationFact(models.Model):
    application_id = models.BigIntegerField(primary_key=True)
    service_id = models.IntegerField()
    departments = models.JSONField(default=list)  # department ids of its reviews
    submitted_day = models.DateField(null=True)
    permit_days = models.JSONField(default=list)  # local days its permits were issued (ISO dates)
    rating_day = models.DateField(null=True)
    rating_score = models.SmallIntegerField(null=True)
    once_only = models.JSONField(default=dict)  # approvals.once_only's counts


class ReviewFact(models.Model):
    review_id = models.BigIntegerField(primary_key=True)
    application_id = models.BigIntegerField(db_index=True)
    department_id = models.IntegerField()
    service_id = models.IntegerField()
    stage = models.SmallIntegerField()
    status = models.CharField(max_length=24)
    decision_day = models.DateField(null=True)  # approved or rejected
    working_days = models.SmallIntegerField(null=True)  # routing → decision, in working days, net of pauses
    sla_met = models.BooleanField(default=False)  # decided on or before its due date
    yellow_day = models.DateField(null=True)
    red_day = models.DateField(null=True)
    correction_days = models.JSONField(default=list)  # local days of its correction requests (ISO dates)


class DayStat(models.Model):
    """Counters per local day, service and department. Application-level counters (submitted,
    permits, ratings) are in the row of every department involved and in the ALL_DEPARTMENTS row;
    review-level counters (decisions, SLA, cards) only in the department's row."""

    day = models.DateField()
    service_id = models.IntegerField()
    department_id = models.IntegerField()
    submitted = models.IntegerField(default=0)
    decided = models.IntegerField(default=0)
    approved = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    corrections = models.IntegerField(default=0)
    sla_met = models.IntegerField(default=0)
    yellow = models.IntegerField(default=0)
    red = models.IntegerField(default=0)
    permits = models.IntegerField(default=0)
    ratings = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    low_ratings = models.IntegerField(default=0)
    # Once only (approvals.once_only), on the day of submission.
    fields_asked = models.IntegerField(default=0)
    fields_taken = models.IntegerField(default=0)
    documents_uploaded = models.IntegerField(default=0)
    documents_reused = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "service_id", "department_id"], name="daystat_key")]


class Histogram(models.Model):
    service_id = models.IntegerField()
    department_id = models.IntegerField()
    stage = models.SmallIntegerField()
    working_days = models.SmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        abstract = True


class DurationStat(Histogram):
    """How many decisions of a day took ``working_days`` from routing: exact percentiles from a histogram."""

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "service_id", "department_id", "stage", "working_days"],
                                               name="durationstat_key")]


class MonthDurationStat(Histogram):
    """The same histogram per calendar month: a date range reads whole months here and only its
    partial edge months from DurationStat."""

    month = models.DateField()  # first day of the month

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "service_id", "department_id", "stage", "working_days"],
                                               name="monthdurationstat_key")]


class BacklogStat(models.Model):
    """Undecided reviews now, per service, department, stage and status."""

    service_id = models.IntegerField()
    department_id = models.IntegerField()
    stage = models.SmallIntegerField()
    status = models.CharField(_("status"), max_length=24)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service_id", "department_id", "stage", "status"],
                                               name="backlogstat_key")]
