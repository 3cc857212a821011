"""The one builder of the engine's audit events: every event about an application, one of its
reviews, shares or permits names the application and, when the application is given, its
applicant (whose "who viewed my data" page reads them), with the actor and their address,
the department, the purpose and the details. An event about a person's account names the person.
What an API token does (``via``) names the token (audit.services.TokenActor): a front desk's
doing for the person is the desk's event."""

from audit.services import Event, TokenActor


def engine_event(action, application=None, *, obj=None, actor=None, via: TokenActor | None = None, ip=None,
                 department_code="", purpose="", **details) -> Event:
    """An event about ``obj`` (default: the application itself); empty details are left out.
    Without ``application`` the event names ``obj.application_id`` and no subject."""
    obj = obj or application
    return _by(via, Event(
        action=action, object_type=obj._meta.model_name, object_id=obj.pk, actor=actor, ip=ip,
        subject_id=application.applicant_id if application is not None else None,
        application_id=application.pk if application is not None else obj.application_id,
        department_code=department_code, purpose=purpose,
        details={k: v for k, v in details.items() if v not in (None, "", [], {})},
    ))


def bundle_event(action, bundle_application, *, actor=None, ip=None, **details) -> Event:
    """An event about a bundle application (approvals.bundle_flow); its applicant is the subject."""
    return Event(action=action, object_type="bundleapplication", object_id=bundle_application.pk, actor=actor, ip=ip,
                 subject_id=bundle_application.applicant_id,
                 details={k: v for k, v in details.items() if v not in (None, "", [], {})})


def calendar_event(action, change, **details) -> Event:
    """An event about a change of the working-day calendars (the system records it; no applicant)."""
    return Event(action=action, object_type=change._meta.model_name, object_id=change.pk,
                 details={k: v for k, v in details.items() if v not in (None, "", [], {})})


def person_event(action, person_id: int, *, actor=None, via: TokenActor | None = None, ip=None, purpose="",
                 **details) -> Event:
    """An event about a person's account (claimed, verified …): the person is its subject."""
    return _by(via, Event(action=action, object_type="user", object_id=person_id, actor=actor, ip=ip,
                          subject_id=person_id, purpose=purpose,
                          details={k: v for k, v in details.items() if v not in (None, "", [], {})}))


def _by(via: TokenActor | None, event: Event) -> Event:
    return via.stamp(event) if via is not None else event


def complaint_event(action, complaint, *, actor=None, ip=None, department_code="", purpose="", **details) -> Event:
    """An event about a complaint: a signed-in complainant is its subject (their "who viewed my
    data" lists staff views of it), with the application it concerns."""
    return Event(action=action, object_type="complaint", object_id=complaint.pk, actor=actor, ip=ip,
                 subject_id=complaint.complainant_id, application_id=complaint.application_id,
                 department_code=department_code, purpose=purpose,
                 details={k: v for k, v in details.items() if v not in (None, "", [], {})})


def finance_event(action, obj, *, actor=None, ip=None, **details) -> Event:
    """An event of finance work on a row that names no application (a bank statement, money no
    order took): no applicant is its subject."""
    return Event(action=action, object_type=obj._meta.model_name, object_id=obj.pk, actor=actor, ip=ip,
                 purpose="finance", details={k: v for k, v in details.items() if v not in (None, "", [], {})})


def booking_event(action, booking, *, actor=None, ip=None, **details) -> Event:
    """An event about an appointment booking: the citizen is its subject, with the application it
    is for (if any) and the slot's department."""
    return Event(action=action, object_type="appointmentbooking", object_id=booking.pk, actor=actor, ip=ip,
                 subject_id=booking.citizen_id, application_id=booking.application_id,
                 department_code=booking.slot.department.code,
                 details={k: v for k, v in details.items() if v not in (None, "", [], {})})


def department_event(action, department, *, actor=None, ip=None, **details) -> Event:
    """An event of a department's own settings (appointment slots published): no applicant."""
    return Event(action=action, object_type="department", object_id=department.pk, actor=actor, ip=ip,
                 department_code=department.code,
                 details={k: v for k, v in details.items() if v not in (None, "", [], {})})
