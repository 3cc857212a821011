"""The finder's reads: the finders listed, one finder with its questions and services, and what
of the citizen's wallet answers a document question."""

from django.db.models import Prefetch

from certificates.models import Certificate
from certificates.selectors import held_valid

from .models import Finder, FinderQuestion, FinderService


def finders_listed() -> list[Finder]:
    return list(Finder.objects.all())


def finder_for_page(*, slug: str) -> Finder | None:
    """The finder with its questions (their fields) and the open services it considers (their
    published versions), in three queries whatever their number."""
    return Finder.objects.filter(slug=slug).prefetch_related(
        Prefetch("questions", queryset=FinderQuestion.objects.select_related("field")),
        Prefetch("considered", queryset=FinderService.objects.select_related("service__current_version").filter(
            service__is_active=True, service__current_version__isnull=False)),
    ).first()


def held_certificates(user, type_codes) -> dict[str, Certificate]:
    """For each certificate type, the user's newest valid certificate of it (signed in only)."""
    if user is None or not user.is_authenticated:
        return {}
    held = {}
    for code in sorted(set(type_codes)):
        if found := held_valid(user, code):
            held[code] = found[0]
    return held
