"""Fields taken from the registers the government keeps instead of asking the citizen ("once only").

The catalogue binds a field to a register's attribute (``register: {register, attribute, key}``;
catalogue.registers says what each register answers). The fields of one register looked up by one
key are a *group*: the company register's registered name and address, both by the answer to
``unified_social_credit_code``; the population register's fields by the applicant's verified
identity number from their account.

While the application is a draft:

- a group whose register needs the citizen's agreement (the catalogue's ``consent_required``) is
  asked nothing until they agree (``application_register_consent``); refusing, they type the values;
- once the key is answered (and agreed where needed) the register is asked, outside any
  transaction (``application_register_lookup``); its answer, or why there is none, is then
  written in one short transaction with the fields' answers and the audit event: nothing
  half-written. A failed lookup is asked again only when the citizen asks (``retry``);
- a value from the register is shown read-only with its source; the citizen may report it wrong
  (``application_register_report``) and then types it;
- an answer from the company register that names another legal representative than the applicant
  is not used at all: none of its values is shown or kept (the applicant may act for the company,
  but the portal cannot tell), the citizen is told so and may type the details, unverified.

At submission ``register_values_rows`` records, in the submit transaction, one
ApplicationRegisterValue per answered field taken from a register: verified when the answer is the
register's value the citizen kept, with the reason otherwise. A correction that changes such a
field, or its key, makes it unverified (``register_values_corrected``)."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from audit.models import Action
from audit.services import audit_record
from catalogue.registers import REGISTERS, key_normalized, key_valid
from catalogue.schema import Schema
from core.errors import InvalidTransition, ValidationFailed
from core.i18n import translated
from registers.client import RegisterFailed, register_fetch
from registers.models import RECORD_OUTCOMES, LookupOutcome, RegisterConsent, RegisterLookup

from .answers import field_name
from .events import engine_event
from .locks import lock_application, lock_register_lookup
from .models import Application, ApplicationRegisterValue, ApplicationStatus, RegisterValueReason

# The purpose every lookup is recorded with (audit.selectors.PURPOSES words it for the citizen).
LOOKUP_PURPOSE = "register_lookup"
# Outcomes a citizen may ask the register again about (the others would answer the same).
RETRYABLE = frozenset({LookupOutcome.UNAVAILABLE, LookupOutcome.INVALID_ANSWER})
REASON_OF_OUTCOME = {
    LookupOutcome.NOT_FOUND: RegisterValueReason.NOT_FOUND,
    LookupOutcome.MISMATCH: RegisterValueReason.MISMATCH,
    LookupOutcome.UNAVAILABLE: RegisterValueReason.UNAVAILABLE,
    LookupOutcome.INVALID_ANSWER: RegisterValueReason.INVALID_ANSWER,
    LookupOutcome.MALFORMED_KEY: RegisterValueReason.INVALID_ANSWER,
}


@dataclass
class Group:
    """The fields of one form taken from one register by one key (None: the applicant's verified
    identity number)."""

    register: str
    name: dict
    consent_required: bool
    key_field: str | None
    fields: list[dict] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return translated(self.name) or self.register

    @property
    def in_a_message(self) -> str:
        """"the company register" (the name, lower case unless it starts with an abbreviation)."""
        name = self.display_name
        if name[:1].isupper() and not name[1:2].isupper():
            name = name[:1].lower() + name[1:]
        return pgettext("a register named in a message", "the %(register)s") % {"register": name}


def register_groups(schema: Schema) -> list[Group]:
    groups: dict[tuple, Group] = {}
    for spec in schema.register_fields:
        binding = spec["register"]
        register = schema.registers.get(binding["register"], {})
        group = groups.setdefault((binding["register"], binding.get("key")), Group(
            register=binding["register"], name=register.get("name") or {},
            consent_required=bool(register.get("consent_required")), key_field=binding.get("key")))
        group.fields.append(spec)
    return list(groups.values())


def lookup_key(group: Group, answers: dict, applicant) -> str:
    """What the group's register is looked up by now: the key field's well-formed answer, or the
    applicant's verified identity number; "" when there is none."""
    key_format = REGISTERS[group.register].key_format
    if group.key_field is None:
        value = applicant.id_number if applicant.identity_verified else ""
    else:
        value = answers.get(group.key_field)
    if not isinstance(value, str) or not value or not key_valid(key_format, value):
        return ""
    return key_normalized(key_format, value)


@dataclass
class GroupState:
    """A group as it stands for one draft: its key, the citizen's agreement (None: not asked,
    or not needed) and the latest lookup by that key."""

    group: Group
    key: str
    consent: bool | None
    lookup: RegisterLookup | None
    key_spec: dict | None = None

    @property
    def may_ask(self) -> bool:
        return bool(self.key) and (not self.group.consent_required or self.consent is True)

    @property
    def asks_consent(self) -> bool:
        return self.group.consent_required and bool(self.key) and self.consent is None

    @property
    def found(self) -> bool:
        return self.lookup is not None and self.lookup.outcome == LookupOutcome.FOUND

    @property
    def retryable(self) -> bool:
        return self.may_ask and self.lookup is not None and self.lookup.outcome in RETRYABLE

    def attribute(self, spec: dict) -> str:
        return spec["register"]["attribute"]

    def register_value(self, spec: dict) -> str | None:
        """The register's value for ``spec``, unless there is none or the citizen reported it wrong."""
        if not self.found or self.attribute(spec) in (self.lookup.disputed or []):
            return None
        return self.lookup.values.get(self.attribute(spec))

    def reported(self, spec: dict) -> bool:
        return self.found and self.attribute(spec) in (self.lookup.disputed or [])

    def reason(self, spec: dict, answer) -> str:
        """Why ``answer`` is not the register's value ("": it is)."""
        value = self.register_value(spec)
        if value is not None:
            return RegisterValueReason.VERIFIED if answer == value else RegisterValueReason.TYPED
        if self.reported(spec):
            return RegisterValueReason.REPORTED
        if not self.key:
            return RegisterValueReason.NO_KEY
        if self.group.consent_required and self.consent is False:
            return RegisterValueReason.REFUSED
        if self.lookup is not None:
            return REASON_OF_OUTCOME.get(self.lookup.outcome, RegisterValueReason.TYPED)
        return RegisterValueReason.TYPED

    @property
    def message(self) -> str:
        """What the citizen is told about the group when its values are not the register's."""
        register = self.group.in_a_message
        typed = _("Type these details yourself: the department will see that they were not taken from the register.")
        if not self.key:
            if self.group.key_field is None:
                return _("Your identity has not been verified, so we cannot ask %(register)s. %(typed)s") % {
                    "register": register, "typed": typed}
            return _("Once you give %(key)s, these details are taken from %(register)s.") % {
                "key": field_name(self.key_spec) if self.key_spec else self.group.key_field, "register": register}
        if self.group.consent_required and self.consent is False:
            return _("You chose not to have these taken from %(register)s. %(typed)s") % {
                "register": register, "typed": typed}
        outcome = self.lookup.outcome if self.lookup is not None else None
        if outcome == LookupOutcome.UNAVAILABLE:
            return _("We asked %(register)s, but it did not answer in time. %(typed)s You can also ask it again.") % {
                "register": register, "typed": typed}
        if outcome == LookupOutcome.NOT_FOUND:
            return _("%(Register)s has no record under the code you gave. Check the code, or type these details "
                     "yourself: the department will see that they were not taken from the register.") % {
                "Register": register[:1].upper() + register[1:]}
        if outcome == LookupOutcome.MISMATCH:
            return _("%(Register)s names someone other than you as the legal representative of this company, so "
                     "none of its details are used for your application. Check the code. If you apply on the "
                     "company's behalf, type the details yourself: the department will see that they were not "
                     "verified.") % {"Register": register[:1].upper() + register[1:]}
        if outcome in (LookupOutcome.INVALID_ANSWER, LookupOutcome.MALFORMED_KEY):
            return _("We asked %(register)s, but its answer could not be used. %(typed)s") % {
                "register": register, "typed": typed}
        return ""


def register_states(application: Application, applicant=None) -> list[GroupState]:
    """Every group of the application's form as it stands (two queries, none for a form that
    takes nothing from a register)."""
    schema = application.schema
    groups = register_groups(schema)
    if not groups:
        return []
    applicant = applicant or application.applicant
    consents = dict(RegisterConsent.objects.filter(application_id=application.pk).values_list("register", "agreed"))
    latest: dict[tuple[str, str], RegisterLookup] = {}
    for lookup in RegisterLookup.objects.filter(application_id=application.pk).order_by("-looked_up_at", "-id"):
        latest.setdefault((lookup.register, lookup.key), lookup)
    states = []
    for group in groups:
        key = lookup_key(group, application.answers, applicant)
        states.append(GroupState(
            group=group, key=key, consent=consents.get(group.register) if group.consent_required else None,
            lookup=latest.get((group.register, key)) if key else None,
            key_spec=schema.fields_by_key.get(group.key_field) if group.key_field else None))
    return states


def state_of_field(states: list[GroupState], field_key: str) -> GroupState | None:
    return next((s for s in states if any(spec["key"] == field_key for spec in s.group.fields)), None)


def register_summary(application: Application, applicant, sections: list[dict]) -> dict:
    """What "check your answers" says of the registers before submitting: ``taken``, the groups
    whose values will be taken from their register (name, time, the questions); ``typed``, the
    answers to questions a register could give that are the citizen's typing (the department sees
    them as not verified), each with the reason; ``waiting``, the registers still waiting for the
    citizen's agreement (with the form page that asks). Each summary row of a question taken from
    a register gets its ``source``."""
    states = register_states(application, applicant)
    rows = {row["spec"]["key"]: (section, row) for section in sections for row in section["rows"]}
    taken, typed, waiting = [], [], []
    for state in states:
        specs = [spec for spec in state.group.fields if spec["key"] in rows]
        from_register = [spec for spec in specs if state.register_value(spec) is not None
                         and application.answers.get(spec["key"]) == state.register_value(spec)]
        if from_register:
            taken.append({"name": state.group.display_name, "looked_up_at": state.lookup.looked_up_at,
                          "labels": [translated(spec.get("label")) for spec in from_register]})
        if state.asks_consent and specs:
            waiting.append({"name": state.group.display_name, "step": rows[specs[0]["key"]][0]["step"]})
        for spec in specs:
            row = rows[spec["key"]][1]
            answer = application.answers.get(spec["key"])
            reason = state.reason(spec, answer)
            verified = reason == RegisterValueReason.VERIFIED
            row["source"] = {"name": state.group.display_name, "verified": verified,
                             "looked_up_at": state.lookup.looked_up_at if verified else None}
            if not verified and answer not in (None, "", []):
                typed.append({"label": translated(spec.get("label")), "reason": RegisterValueReason(reason).label})
    return {"taken": taken, "typed": typed, "waiting": waiting}


# --- writes ---------------------------------------------------------------------------------------


def _own_draft(application_id: int, actor) -> Application:
    application = lock_application(application_id)
    if application.applicant_id != getattr(actor, "pk", None):
        raise Application.DoesNotExist  # another citizen's application does not exist for this actor
    if application.status != ApplicationStatus.DRAFT:
        raise InvalidTransition(_("Only a draft can be changed this way."))
    return application


@transaction.atomic
def application_register_consent(*, application_id: int, actor, register: str, agreed: bool,
                                 ip: str | None = None) -> None:
    """The citizen's answer to "may these be taken from the register?" for a draft."""
    application = _own_draft(application_id, actor)
    if not any(g.register == register and g.consent_required for g in register_groups(application.schema)):
        raise ValidationFailed({f"register_consent_{register}": [_("This form asks no agreement for this register.")]})
    RegisterConsent.objects.update_or_create(
        application_id=application.pk, register=register,
        defaults={"subject_id": application.applicant_id, "agreed": agreed, "answered_at": timezone.now()})
    audit_record(engine_event(Action.REGISTER_CONSENT, application, actor=actor, ip=ip, register=register,
                              agreed=agreed))


def _names_someone_else(register: str, values: dict, applicant) -> bool:
    """A company whose legal representative, as the register has it, is not the applicant."""
    if register != "company":
        return False
    def name(text):
        return "".join(str(text).split()).casefold()
    return name(values.get("legal_representative", "")) != name(applicant.full_name)


def application_register_lookup(*, application_id: int, actor, ip: str | None = None, retry=()) -> list[GroupState]:
    """Ask the registers of a draft's groups that may be asked and have no lookup by their key
    yet (or, for the registers in ``retry``, whose last lookup failed in a way worth asking again).
    The registers are asked outside any transaction; what they answered is then written in one.
    Returns the groups asked, as they stand afterwards."""
    application = Application.objects.get(pk=application_id, applicant_id=getattr(actor, "pk", None))
    if application.status != ApplicationStatus.DRAFT:
        return []
    asked = []
    for state in register_states(application, actor):
        if not state.may_ask or (state.lookup is not None and not (
                state.group.register in retry and state.lookup.outcome in RETRYABLE)):
            continue
        try:
            values, outcome = register_fetch(state.group.register, state.key), LookupOutcome.FOUND
        except RegisterFailed as failed:
            values, outcome = {}, failed.outcome
        if outcome == LookupOutcome.FOUND and _names_someone_else(state.group.register, values, actor):
            values, outcome = {}, LookupOutcome.MISMATCH
        asked.append((state, outcome, values, timezone.now()))
    if not asked:
        return []
    _lookups_record(application_id, actor, ip, asked)
    application.refresh_from_db()
    done = {state.group.register for state, *_rest in asked}
    return [s for s in register_states(application, actor) if s.group.register in done]


@transaction.atomic
def _lookups_record(application_id: int, actor, ip, asked: list[tuple]) -> None:
    """What the registers answered, with the answers it gives and the audit events, at once. A
    group whose key changed while its register was asked keeps nothing of that answer."""
    application = lock_application(application_id)
    if application.status != ApplicationStatus.DRAFT:
        return
    before = dict(application.answers)
    events = []
    for state, outcome, values, at in asked:
        group = state.group
        if lookup_key(group, application.answers, actor) != state.key:
            continue
        RegisterLookup.objects.create(
            subject_id=application.applicant_id, application_id=application.pk, register=group.register,
            key=state.key, purpose=LOOKUP_PURPOSE, outcome=outcome, values=values, looked_up_at=at)
        earlier = [lookup.values for lookup in RegisterLookup.objects.filter(
            application_id=application.pk, register=group.register, outcome=LookupOutcome.FOUND).exclude(key=state.key)]
        for spec in group.fields:
            attribute = spec["register"]["attribute"]
            if outcome == LookupOutcome.FOUND:
                application.answers[spec["key"]] = values[attribute]
            elif any(application.answers.get(spec["key"]) == old.get(attribute) for old in earlier):
                application.answers.pop(spec["key"], None)  # another key's record: not this applicant's answer
        event = engine_event(
            Action.REGISTER_LOOKUP if outcome in RECORD_OUTCOMES else Action.REGISTER_LOOKUP_FAILED, application,
            ip=ip, purpose=LOOKUP_PURPOSE, register=group.register, outcome=outcome,
            attributes=[spec["register"]["attribute"] for spec in group.fields],
            fields=[spec["key"] for spec in group.fields] if outcome == LookupOutcome.FOUND else None)
        event.actor_label = f"{group.register} register"
        events.append(event)
    if application.answers != before:
        application.save(update_fields=["answers", "updated_at"])
    audit_record(*events)


@transaction.atomic
def application_register_report(*, application_id: int, actor, field_key: str, ip: str | None = None) -> None:
    """The citizen says the register's value of ``field_key`` is wrong: from now on they type it
    (it starts as the register's value, to correct), and it is not verified."""
    application = _own_draft(application_id, actor)
    states = register_states(application, actor)
    state = state_of_field(states, field_key)
    spec = application.schema.fields_by_key.get(field_key)
    if state is None or spec is None:
        raise ValidationFailed({field_key: [_("This answer is not taken from a register.")]})
    if state.register_value(spec) is None:
        return  # nothing of the register's to report (already reported, or none)
    lookup = lock_register_lookup(state.lookup.pk)
    lookup.disputed = [*lookup.disputed, state.attribute(spec)]
    lookup.save(update_fields=["disputed"])
    audit_record(engine_event(Action.REGISTER_VALUE_DISPUTED, application, actor=actor, ip=ip,
                              register=state.group.register, field=field_key))


def register_values_rows(application: Application, applicant, now) -> list[ApplicationRegisterValue]:
    """One row per answered field taken from a register, for the submit transaction to write."""
    rows = []
    for state in register_states(application, applicant):
        for spec in state.group.fields:
            answer = application.answers.get(spec["key"])
            if answer in (None, "", []):
                continue
            reason = state.reason(spec, answer)
            verified = reason == RegisterValueReason.VERIFIED
            rows.append(ApplicationRegisterValue(
                application=application, field_key=spec["key"], register=state.group.register,
                attribute=state.attribute(spec), value=str(answer), verified=verified, reason=reason,
                looked_up_at=state.lookup.looked_up_at if verified else None, created_at=now))
    return rows


def register_values_corrected(application: Application, changed: set[str], answers: dict, now) -> None:
    """A correction changed ``changed``: a field taken from a register that changed, or whose key
    changed, is now the applicant's typing, not verified."""
    affected = [spec for spec in application.schema.register_fields
                if spec["key"] in changed or spec["register"].get("key") in changed]
    if not affected:
        return
    ApplicationRegisterValue.objects.filter(application=application, field_key__in=[s["key"] for s in affected]).delete()
    ApplicationRegisterValue.objects.bulk_create([
        ApplicationRegisterValue(
            application=application, field_key=spec["key"], register=spec["register"]["register"],
            attribute=spec["register"]["attribute"], value=str(answers[spec["key"]]), verified=False,
            reason=RegisterValueReason.CORRECTED, created_at=now)
        for spec in affected if answers.get(spec["key"]) not in (None, "", [])
    ])
