"""Writing audit events. Called inside the business transaction: the event commits or rolls
back with the change it describes. Sealing into the hash chain happens later (audit.chain)."""

from dataclasses import dataclass, field

from .models import Action, AuditEvent


@dataclass
class Event:
    action: str
    object_type: str
    object_id: object
    actor: object = None  # a User, or None for the system
    actor_label: str = ""
    subject_id: int | None = None
    application_id: int | None = None
    department_code: str = ""
    ip: str | None = None
    purpose: str = ""
    details: dict = field(default_factory=dict)

    def to_model(self) -> AuditEvent:
        actor_id = getattr(self.actor, "pk", None)
        label = self.actor_label or (self.actor.email if self.actor is not None else "system")
        return AuditEvent(
            actor_id=actor_id, actor_label=label, action=self.action, object_type=self.object_type,
            object_id=str(self.object_id), subject_id=self.subject_id, application_id=self.application_id,
            department_code=self.department_code, ip=self.ip or None, purpose=self.purpose, details=self.details,
        )


def audit_record(*events: Event) -> None:
    """Append one or more events in a single INSERT."""
    if events:
        AuditEvent.objects.bulk_create([e.to_model() for e in events])


def client_ip(request) -> str | None:
    """The client address as the login throttle sees it (one rule for the whole portal)."""
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def access_denied(request, *, object_type: str, object_id) -> None:
    """Log a refused access to someone else's object; the caller then answers 404, so that
    references cannot be probed, but the attempt is on record."""
    audit_record(Event(action=Action.ACCESS_DENIED, object_type=object_type, object_id=object_id,
                       actor=request.user if request.user.is_authenticated else None, ip=client_ip(request),
                       details={"path": request.path[:200]}))
