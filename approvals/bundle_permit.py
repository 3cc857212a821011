"""One combined permit for a bundle application (一业一证, the catalogue's ``one_permit``).

Each child is still reviewed and decided by its departments on its own; none issues a permit of
its own. The last child approved issues the one combined permit, exactly once: the fan-in of the
child (approvals.workflow._advance, under the child's row lock, its status already written) takes
the bundle application's row lock and re-reads every child in the same transaction. Two final
approvals of two children at once take turns on that lock, and the second one reads the first's
committed approval, so exactly one of them finds every child approved; the partial UNIQUE
constraint on the permit's bundle application is the backstop.

The combined permit hangs on the bundle's first child (its render, revocation and re-issue take
that child's row lock, as for any permit) and names the bundle application; its file lists every
permit it stands for (permits.rendering.permit_facts). Produced, it issues every child
(``bundle_issued_ids``). A refusal of any child refuses the whole bundle
(approvals.bundle_dependants): a combined permit is all of its permits or none. A child whose fee
is paid before issue holds the combined permit back until it is paid: the payment
(approvals.workflow.application_paid) settles the bundle as an approval does."""

from django.utils import timezone

from audit.models import Action
from audit.services import Event
from core.nudges import nudge_ids_on_commit
from permits.models import Permit, PermitStatus
from permits.services import permit_create

from .events import engine_event
from .locks import lock_bundle_application
from .models import Application, ApplicationStatus, NotificationKind
from .notifications import notify
from .payment_orders import permit_waits_for_payment

RENDER_TASK = "permits.tasks.permit_render_task"


def in_one_permit_bundle(application: Application) -> bool:
    """Whether this application is a child of a bundle application with one combined permit."""
    return application.bundle_application_id is not None and application.bundle_application.one_permit


def bundle_permit_settle(*, application: Application, now=None) -> list[Event]:
    """After ``application`` (a child of a one-permit bundle) was approved or paid, under its row
    lock: issue the combined permit if every child is approved and none waits for its fee now.
    Returns the audit events."""
    now = now or timezone.now()
    bundle_application = lock_bundle_application(application.bundle_application_id)
    # Re-read inside the bundle's lock: a sibling approved meanwhile has committed by now.
    children = list(bundle_application.children.select_related("service_version", "service").order_by("pk"))
    if not children or any(child.status != ApplicationStatus.APPROVED or permit_waits_for_payment(child)
                            for child in children):
        return []
    if Permit.objects.filter(bundle_application=bundle_application).exclude(status=PermitStatus.SUPERSEDED).exists():
        return []
    order = {m["service"]: i for i, m in enumerate(bundle_application.schema["members"])}
    children.sort(key=lambda child: order.get(child.service.slug, len(order)))
    lead = children[0]
    permit = permit_create(application=lead, now=now, bundle_application=bundle_application, members=children)
    notify(recipient_ids=[bundle_application.applicant_id], kind=NotificationKind.APPROVED, application=lead,
           params={"permit_number": permit.number})
    nudge_ids_on_commit(RENDER_TASK, [permit.pk], one_per_message=True)
    return [engine_event(Action.PERMIT_ISSUED, lead, obj=permit, number=permit.number,
                         bundle_application=bundle_application.pk, bundle_reference=bundle_application.reference,
                         members=[child.reference for child in children])]


def bundle_issued_ids(permit: Permit) -> list[int]:
    """The applications a produced permit issues: its own, and for a combined permit every child
    of its bundle application (its own first)."""
    if permit.bundle_application_id is None:
        return [permit.application_id]
    others = (Application.objects.filter(bundle_application_id=permit.bundle_application_id)
              .exclude(pk=permit.application_id).order_by("pk").values_list("pk", flat=True))
    return [permit.application_id, *others]
