"""Who reaches the finance pages: an active finance officer or administrator. Anyone else gets a
404 (the pages' existence is nobody else's business), and the refusal is on record."""

from django.contrib.auth.decorators import login_required
from django.http import Http404

from accounts.models import Role
from audit.models import Action
from audit.services import Event, access_denied, access_record, client_ip

FINANCE_ROLES = frozenset({Role.FINANCE, Role.ADMIN})


def acts_in_finance(user) -> bool:
    return user.is_authenticated and user.is_active and user.role in FINANCE_ROLES


def finance_access(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not acts_in_finance(request.user):
            access_denied(request, object_type="url", object_id=request.path[:40])
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def finance_viewed(request, page: str, *, subject_id=None, application_id=None, **details) -> None:
    """A finance page read, on record like every staff view of citizens' data: the page, its
    filters, and the citizen and application when the page is about one."""
    access_record(Event(action=Action.PAYMENT_VIEWED, object_type="finance", object_id=page, actor=request.user,
                        ip=client_ip(request), purpose="finance", subject_id=subject_id,
                        application_id=application_id,
                        details={k: str(v) for k, v in details.items() if v not in (None, "")}))
