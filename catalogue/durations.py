"""Durations as people say them: "5 years", not "1825 days".

The one rule, used wherever the portal shows a duration (the service page, the application
page, My applications, the permit and its public verification page, in both languages):

- calendar days read as whole years when they are an exact number of years (365 days each),
  otherwise as whole months when they are an exact number of months (30 days each), otherwise
  as days: 1825 → 5 years, 1095 → 3 years, 365 → 1 year, 180 → 6 months, 45 → 45 days;
- working days stay working days ("5 working days"): they are a count on the working-day
  calendar, not a length of time.

The expected time of a whole application follows the engine's order: the stages run one after
another and the reviews of one stage at the same time, so it is the sum over the stages of each
stage's longest time limit."""

from collections.abc import Iterable

from django.utils.translation import gettext, ngettext

DAYS_PER_YEAR = 365
DAYS_PER_MONTH = 30


def calendar_duration(days: int) -> str:
    """Calendar days in whole years, else whole months, when exact; else in days."""
    days = int(days)
    if days and days % DAYS_PER_YEAR == 0:
        years = days // DAYS_PER_YEAR
        return ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
    if days and days % DAYS_PER_MONTH == 0:
        months = days // DAYS_PER_MONTH
        return ngettext("%(count)d month", "%(count)d months", months) % {"count": months}
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def working_duration(days: int) -> str:
    days = int(days)
    return ngettext("%(count)d working day", "%(count)d working days", days) % {"count": days}


def valid_for(days: int) -> str:
    """How long a permit is valid: "valid for 3 years" (有效期 3 年)."""
    return gettext("valid for %(duration)s") % {"duration": calendar_duration(days)}


def expected_working_days(reviews: Iterable) -> int:
    """The working days a whole application is expected to take: the sum over its stages of
    each stage's longest time limit. ``reviews`` are schema reviews (dicts) or Review rows,
    anything with a stage and sla_days."""
    longest: dict[int, int] = {}
    for review in reviews:
        stage, days = (review["stage"], review["sla_days"]) if isinstance(review, dict) else (review.stage, review.sla_days)
        longest[stage] = max(longest.get(stage, 0), days)
    return sum(longest.values())
