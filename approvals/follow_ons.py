"""Applications that follow an issued permit (approvals.permit_life starts them): a renewal and an
amendment. Each carries the answers of the permit's application onto its draft and asks again only
what its service's catalogue names (``renewal_asks``, ``amendable``); the documents (files and
certificates) stay where they were given and count as answered at its submission.

Who reviews one is decided here, for the engine at submission and for the pages that say so
before it: a renewal, the departments whose review says ``reviews_renewals``; an amendment, those
whose ``reviews_changes_of`` names an answer it changes, and any review the new answers make
needed that the permit's were not reviewed by. None: approved at once.

A follow-on lapses when what it follows can no longer be followed (``lapsed_because``): the permit
was revoked (a renewal or an amendment), or ended before an amendment was decided (an amendment
changes a valid permit; a renewal of an ended one is its purpose). approvals.follow_on_ends closes
it; the engine's fan-in checks too, so an approval on the day the permit ends issues nothing."""

from dataclasses import replace

from django.utils.translation import gettext as _

from catalogue.applicability import Applied
from permits.models import Permit, PermitState, PermitStatus
from permits.services import current_permit

from .applicable import applied_to
from .models import Application, ApplicationCertificate, Attachment

# A renewal of an amendment of a renewal of ... : a chain this long is decades of permits.
CHAIN_MAX = 50

# Why a follow-on lapsed (the WITHDRAWN notification's and audit event's ``because``).
PERMIT_REVOKED = "permit_revoked"
PERMIT_ENDED = "permit_ended"


def followed_permit(application: Application) -> Permit | None:
    """The permit ``application`` follows as it stands now: the one it names, or the current one
    of that permit's application should a correction have re-issued it meanwhile."""
    if not application.follows_id:
        return None
    named = application.follows
    return named if named.status != PermitStatus.SUPERSEDED else current_permit(named.application) or named


def lapse_message(because: str, number: str) -> str:
    """What the holder is told when submitting a renewal or amendment that has lapsed."""
    if because == PERMIT_REVOKED:
        return _("Permit %(number)s was revoked: it can no longer be renewed or changed. Withdraw this "
                 "application.") % {"number": number}
    return _("Permit %(number)s has ended: its details can no longer be changed. Withdraw this application and "
             "renew the permit instead.") % {"number": number}


def lapsed_because(application: Application, today) -> str | None:
    """Why the renewal or amendment ``application`` can no longer be decided (PERMIT_REVOKED,
    PERMIT_ENDED), or None."""
    permit = followed_permit(application)
    if permit is None:
        return None
    if permit.status == PermitStatus.REVOKED:
        return PERMIT_REVOKED
    if application.amends_id and permit.state(today) == PermitState.EXPIRED:
        return PERMIT_ENDED
    return None


def carried_document_keys(application: Application) -> set[str]:
    """The document questions answered on the applications of the permits ``application``
    follows (the permit's own, and so on back along the series)."""
    keys: set[str] = set()
    permit_id = application.follows_id
    for _step in range(CHAIN_MAX):
        if permit_id is None:
            break
        source_id, renews_id, amends_id = (Permit.objects.filter(pk=permit_id).values_list(
            "application_id", "application__renews_id", "application__amends_id").get())
        permit_id = renews_id or amends_id
        keys |= set(Attachment.objects.filter(application_id=source_id).values_list("field_key", flat=True))
        keys |= set(ApplicationCertificate.objects.filter(application_id=source_id)
                    .values_list("field_key", flat=True))
    return keys


def asked_again(application: Application) -> list[str] | None:
    """The questions a renewal or an amendment asks (None: a new permit asks the whole form)."""
    if application.renews_id:
        return application.schema.renewal_asks
    if application.amends_id:
        return application.schema.amendable
    return None


def carried_changed(application: Application, answers: dict) -> list[str]:
    """The questions a renewal or an amendment does not ask again whose answer differs from the
    one carried from the permit's application: a draft changed behind the form's back (the API,
    a crafted post). A question that application did not answer (one the form added) is free."""
    asks = asked_again(application)
    if asks is None:
        return []
    before = application.follows.application.answers
    return sorted(key for key, value in answers.items() if key not in asks and key in before and value != before[key])


def amendment_changes(application: Application, answers: dict, own_files=()) -> list[str]:
    """The amendable questions ``answers`` change from the amended permit's application, in the
    catalogue's order; a document question counts as changed when a file is given on the
    amendment itself (``own_files``: its attachments' questions)."""
    schema = application.schema
    before = application.amends.application.answers
    return [key for key in schema.amendable
            if (key in own_files if key in schema.file_keys else answers.get(key) != before.get(key))]


def applied_for(application: Application, answers: dict, documents, own_files=()) -> Applied:
    """What of the form applies (approvals.applicable), and the reviews that follow-on
    applications are routed to (see above)."""
    applies = applied_to(application.schema, answers, documents)
    if application.renews_id:
        return replace(applies, reviews=tuple(r for r in applies.reviews if r.get("reviews_renewals")))
    if application.amends_id:
        changed = set(amendment_changes(application, answers, own_files))
        reviewed_before = {r["department"] for r in applied_to(
            application.schema, application.amends.application.answers, documents).reviews}
        return replace(applies, reviews=tuple(
            r for r in applies.reviews if changed & set(r.get("reviews_changes_of", ()))
            or (changed and r["department"] not in reviewed_before)))
    return applies
