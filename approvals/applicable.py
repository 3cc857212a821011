"""What of its service's form applies to an application: catalogue.applicability's one rule, fed
with the application's answers and the documents answering its questions (a file uploaded or a
certificate chosen counts as an answer).

Nothing of it is stored: the schema is frozen and the answers and documents of a submitted
application change only when a correction is answered, under the application's lock, so what this
reads is what applied at its submission or last correction. The wording (why a review is not
needed) follows the language of the page that asks.
"""

from dataclasses import dataclass

from django.utils import translation

from catalogue.applicability import Applied, applied
from catalogue.schema import Schema
from core.i18n import translated

from .models import ReviewStatus


def values_of(answers: dict, document_keys=()) -> dict:
    """The answers ``applied`` reads: each document question answered by a file or a certificate
    counts as answered."""
    return {**answers, **dict.fromkeys(document_keys, True)}


def applied_to(schema: Schema, answers: dict, document_keys=()) -> Applied:
    return applied(schema, values_of(answers, document_keys))


@dataclass(frozen=True)
class NotNeeded:
    department: str  # the department's code
    department_name: str  # in the active language
    why: str  # in the active language


def not_needed(schema: Schema, answers: dict, document_keys=(), reviews=None) -> list[NotNeeded]:
    """The reviews the answers make unnecessary, with why, in schema order. With ``reviews`` (a
    submitted application's rows), one a department decided before a correction made it
    unnecessary is not listed: it stays as decided (an approval stands)."""
    live = {r.department.code for r in reviews or () if r.status != ReviewStatus.CANCELLED}
    return [NotNeeded(department=review["department"], department_name=translated(review.get("department_name")),
                      why=why)
            for review, why in applied_to(schema, answers, document_keys).not_needed
            if review["department"] not in live]


def application_not_needed(application) -> list[NotNeeded]:
    """The reviews a submitted application does not need, with why (its prefetched reviews and
    attachments; one query for the certificates answering its questions), worked out once per
    instance and language."""
    cache = application.__dict__.setdefault("_not_needed", {})
    language = translation.get_language()
    if language not in cache:
        documents = ({a.field_key for a in application.attachments.all()}
                     | set(application.certificates.values_list("field_key", flat=True)))
        cache[language] = not_needed(application.schema, application.answers, documents, application.reviews.all())
    return cache[language]


def routed(application, reviews) -> list:
    """``reviews`` without those cancelled because a correction made them unnecessary: what the
    applicant's timeline and receipt show (the not needed are listed apart, with why)."""
    dropped = {n.department for n in application_not_needed(application)}
    return [r for r in reviews if r.status != ReviewStatus.CANCELLED or r.department.code not in dropped]
