"""The one builder of the engine's audit events: every event about an application, one of its
reviews or one of its permits names the application and its applicant (whose "who viewed
my data" page lists it), the actor and their address, the department and the details."""

from audit.services import Event


def engine_event(action, application, *, actor=None, obj=None, ip=None, department_code="", **details) -> Event:
    """An event about ``obj`` (default: the application itself); empty details are left out."""
    obj = obj or application
    return Event(
        action=action, object_type=obj._meta.model_name, object_id=obj.pk, actor=actor, ip=ip,
        subject_id=application.applicant_id, application_id=application.pk, department_code=department_code,
        details={k: v for k, v in details.items() if v not in (None, "", [], {})},
    )
