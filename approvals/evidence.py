"""Certificates as documents ("once only"): a file question whose catalogue field names a
certificate type (its schema's ``certificate``) is answered by the applicant's valid certificate
of that type instead of an upload.

- The form shows the newest valid one the applicant holds (or lets them pick among several) and
  asks nothing; only someone holding none uploads. The choice a draft keeps is an
  ApplicationCertificate row; a choice naming a certificate that is not the applicant's (someone
  else's, or no certificate at all) is refused as a forgery (``CertificateRefused``: the face puts
  the attempt on record), one that is theirs but no longer valid with what happened to it.
- Submitting, or answering a correction, takes the chosen certificate (or, none chosen and no file
  uploaded, the newest valid one held), locks it and checks again that it is still the applicant's
  and valid: a certificate revoked, expired or superseded since the form was filled in is a clear
  message and nothing is submitted. Each one relied on is recorded with when and in what state.
- Departments whose requirement lists the question see it as verified evidence with its state
  read live (approvals.need_to_know); a certificate that lapsed before the decision shows so at
  once, and the officer asks for a current one through a correction request."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import Event
from catalogue.schema import Schema
from certificates.models import Certificate, CertificateState
from certificates.selectors import held_certificate, held_valid, holder_filter
from core.errors import ValidationFailed
from core.i18n import translated

from .answers import field_name, long_date
from .events import engine_event
from .locks import lock_certificates
from .models import Application, ApplicationCertificate

# The purpose of a certificate's reuse on record (audit.selectors.PURPOSES words it).
CERTIFICATE_REUSE = "certificate_reuse"


class CertificateRefused(ValidationFailed):
    """A choice named a certificate that is not the applicant's: none with that id exists, or it is
    someone else's (the two are not told apart). ``refused``: (question, the id sent) of each."""

    def __init__(self, errors: dict, refused: list[tuple[str, str]]):
        self.refused = refused
        super().__init__(errors)


def type_name(spec: dict) -> str:
    """The certificate type a question asks for, in the page's language: "Restaurant operating permit"."""
    certificate = spec.get("certificate") or {}
    return translated(certificate.get("name")) or certificate.get("type", "")


def lapse_reason(certificate: Certificate, today) -> str:
    """What happened to a certificate that is not valid, for a message."""
    state = certificate.state(today)
    if state == CertificateState.REVOKED:
        return _("it was revoked")
    if state == CertificateState.SUPERSEDED:
        return _("a newer certificate replaced it")
    if state == CertificateState.CANCELLED:
        return _("its holder cancelled it from %(date)s") % {"date": long_date(certificate.permit.cancelled_from)}
    if state == CertificateState.EXPIRED:
        return _("it expired on %(date)s") % {"date": long_date(valid_until(certificate))}
    if state == CertificateState.NOT_YET_VALID:
        return _("it is valid only from %(date)s") % {"date": long_date(certificate.valid_from)}
    return _("it is still being issued")


def _lapsed_message(spec: dict, certificate: Certificate, today) -> str:
    return _("Your %(type)s %(number)s is no longer valid: %(reason)s. Choose a current one or upload %(name)s.") % {
        "type": type_name(spec), "number": certificate.number, "reason": lapse_reason(certificate, today),
        "name": field_name(spec)}


def _not_held_message(spec: dict, certificate: Certificate) -> str:
    return _("Your %(type)s %(number)s is no longer recorded as yours. Choose another one or upload %(name)s.") % {
        "type": type_name(spec), "number": certificate.number, "name": field_name(spec)}


def certificate_spec(schema: Schema, key: str) -> dict:
    spec = schema.fields_by_key.get(key)
    if spec is None or not spec.get("certificate") or spec["kind"] != "file":
        raise ValidationFailed({key: [_("This question is not answered by a certificate.")]})
    return spec


def chosen_of(application: Application) -> dict[str, ApplicationCertificate]:
    """The certificates answering the application's questions, by question, with their type,
    issuer and (for a portal permit) permit, so that their state is read live."""
    rows = (ApplicationCertificate.objects.filter(application_id=application.pk)
            .select_related("certificate__type", "certificate__issuer", "certificate__permit"))
    return {row.field_key: row for row in rows}


def evidence_answered(application: Application) -> list[str]:
    """The questions a certificate answers on the application (chosen, or relied on)."""
    return list(ApplicationCertificate.objects.filter(application_id=application.pk).values_list("field_key", flat=True))


def valid_until(certificate: Certificate):
    """The last day a certificate is valid (a portal permit's own), or None for no end."""
    return certificate.permit.valid_until if certificate.permit_id else certificate.valid_until


@dataclass
class Offer:
    """What the form shows for one certificate question: the valid certificates the applicant
    holds (newest first), the one the draft chose while it is valid, and the one it chose that is
    no longer (``lapsed``, for the form to say so)."""

    spec: dict
    held: list[Certificate]
    chosen: Certificate | None
    lapsed: Certificate | None = None

    @property
    def selected(self) -> Certificate | None:
        """The one the form offers first: the chosen one while it is valid, else the newest held."""
        return self.chosen if self.chosen is not None else (self.held[0] if self.held else None)

    def answer(self, attached: bool) -> Certificate | None:
        """The certificate submitting would rely on (approvals.evidence.evidence_at_submit): the
        chosen one, else with no file ``attached`` the newest held; None when a file answers, or
        the chosen one lapsed (submitting then says so)."""
        if self.chosen is not None or self.lapsed is not None:
            return self.chosen
        return None if attached or not self.held else self.held[0]


def offers(application: Application, applicant, specs, *, today=None) -> dict[str, Offer]:
    """Per certificate question among ``specs``: what the applicant holds and has chosen."""
    today = today or timezone.localdate()
    specs = [s for s in specs if s["kind"] == "file" and s.get("certificate")]
    if not specs:
        return {}
    chosen = chosen_of(application)
    result = {}
    for spec in specs:
        held = held_valid(applicant, spec["certificate"]["type"], today)
        row = chosen.get(spec["key"])
        mine = next((c for c in held if row is not None and c.pk == row.certificate_id), None)
        lapsed = row.certificate if row is not None and mine is None else None
        result[spec["key"]] = Offer(spec=spec, held=held, chosen=mine, lapsed=lapsed)
    return result


def answering(application: Application, applicant, attached, *, today=None) -> dict[str, Certificate]:
    """The certificates submitting would rely on, by question, as things stand (for the pages
    before it: where a draft resumes, "check your answers"); ``attached``: questions with files."""
    return {key: certificate for key, offer in offers(application, applicant, application.schema.fields,
                                                     today=today).items()
            if (certificate := offer.answer(key in attached)) is not None}


def _choice(spec: dict, actor, value, errors: dict, refused: list) -> Certificate | None:
    """The applicant's certificate of the question's type a choice names; else None, with the
    reason in ``errors`` and, when it is not theirs at all, the attempt in ``refused``."""
    key, certificate = spec["key"], held_certificate(actor, value)
    if certificate is None:
        refused.append((key, str(value)[:40]))
        errors[key] = [_("The certificate sent for %(name)s is not one of yours. Choose one of your own or upload the "
                         "document.") % {"name": field_name(spec)}]
    elif certificate.type.code != spec["certificate"]["type"]:
        errors[key] = [_("Your %(number)s is not a %(type)s.") % {"number": certificate.number, "type": type_name(spec)}]
    else:
        return certificate
    return None


def problems_raise(errors: dict, refused: list) -> None:
    """Raise what was found: CertificateRefused when a choice named a certificate that is not the
    applicant's (with every other problem), else ValidationFailed when anything was."""
    if refused:
        raise CertificateRefused(errors, refused)
    if errors:
        raise ValidationFailed(errors)


def evidence_check_choices(application: Application, actor, choices: dict, errors: dict, refused: list, *,
                           today=None) -> dict:
    """A draft's choice per certificate question: a certificate's id, or None for none (the
    question is then answered by an upload). Problems go to ``errors`` (and ``refused``, for a
    certificate that is not the applicant's); returns what to keep (``evidence_keep``)."""
    today = today or timezone.localdate()
    schema = application.schema
    wanted = {}
    for key, value in choices.items():
        try:
            spec = certificate_spec(schema, key)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if value in (None, ""):
            wanted[key] = None
        elif (certificate := _choice(spec, actor, value, errors, refused)) is None:
            continue
        elif certificate.state(today) != CertificateState.VALID:
            errors[key] = [_lapsed_message(spec, certificate, today)]
        else:
            wanted[key] = certificate
    return wanted


def evidence_keep(application: Application, wanted: dict) -> list[str]:
    """Store the choices (question → certificate, or None to drop one); returns the questions
    whose certificate changed."""
    existing = {row.field_key: row for row in ApplicationCertificate.objects.filter(
        application_id=application.pk, field_key__in=list(wanted))}
    changed = []
    for key, certificate in wanted.items():
        row = existing.get(key)
        if certificate is None:
            if row is not None:
                row.delete()
                changed.append(key)
        elif row is None:
            ApplicationCertificate.objects.create(application=application, field_key=key, certificate=certificate)
            changed.append(key)
        elif row.certificate_id != certificate.pk:
            row.certificate, row.chosen_at, row.submitted_at, row.state_at_submit = certificate, timezone.now(), None, ""
            row.save(update_fields=["certificate", "chosen_at", "submitted_at", "state_at_submit"])
            changed.append(key)
    return sorted(changed)


def evidence_at_submit(application: Application, actor, errors: dict, refused: list, *, keys,
                       choices: dict | None = None, uploaded=frozenset(), attached=frozenset(),
                       today=None) -> dict[str, Certificate]:
    """The certificates that answer the questions ``keys`` when the application is submitted (or
    a correction answered), locked and checked again (question → certificate); problems go to
    ``errors`` and ``refused`` at their question.

    A question takes the certificate ``choices`` names for it (checked as a draft's choice; None:
    a file answers it); else, unless a file was ``uploaded`` for it now, the one the draft chose;
    else, when no file is ``attached`` to it at all, the newest valid one held. A certificate no
    longer the applicant's or no longer valid is an error. The caller holds the application's lock."""
    today = today or timezone.localdate()
    schema = application.schema
    choices = dict(choices or {})
    chosen = chosen_of(application)
    wanted = {}
    for key in [k for k in schema.certificate_keys if k in set(keys)]:
        spec = schema.fields_by_key[key]
        if key in choices:
            if choices[key] not in (None, "") and (certificate := _choice(spec, actor, choices[key], errors, refused)):
                wanted[key] = certificate.pk
        elif key in uploaded:
            continue
        elif key in chosen:
            wanted[key] = chosen[key].certificate_id
        elif key not in attached and (held := held_valid(actor, spec["certificate"]["type"], today)):
            wanted[key] = held[0].pk
    # Locked, then read again: a revocation either waits for this transaction or is seen by it.
    locked = {c.pk: c for c in lock_certificates(set(wanted.values()))}
    mine = set(Certificate.objects.filter(holder_filter(actor), pk__in=list(locked)).values_list("pk", flat=True))
    answered = {}
    for key, certificate_id in wanted.items():
        spec, certificate = schema.fields_by_key[key], locked[certificate_id]
        if certificate_id not in mine:
            errors[key] = [_not_held_message(spec, certificate)]
        elif certificate.state(today) != CertificateState.VALID:
            errors[key] = [_lapsed_message(spec, certificate, today)]
        else:
            answered[key] = certificate
    return answered


def evidence_record(application: Application, answered: dict[str, Certificate], *, drop=(), now, actor, via,
                    ip) -> tuple[list[str], list[Event]]:
    """Record the certificates relied on (each valid at ``now``) and drop the choices of the
    questions in ``drop`` (answered by an upload now). Returns the questions whose certificate
    changed, and an event per certificate relied on."""
    changed = evidence_keep(application, {**{key: None for key in drop if key not in answered}, **answered})
    if answered:
        ApplicationCertificate.objects.filter(application_id=application.pk, field_key__in=list(answered)).update(
            submitted_at=now, state_at_submit=CertificateState.VALID)
    events = [
        # Named by the department that issued it (none for the portal's own permits): the citizen's
        # "who viewed my data" lists the reuse as that department's (approvals.selectors).
        engine_event(Action.CERTIFICATE_USED, application, obj=certificate, actor=actor, via=via, ip=ip, field=key,
                     number=certificate.number, type=certificate.type.code, state=CertificateState.VALID.value,
                     department_code=certificate.issuer.code if certificate.issuer_id else "",
                     purpose=CERTIFICATE_REUSE)
        for key, certificate in sorted(answered.items())
    ]
    return changed, events
