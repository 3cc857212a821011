"""The API's refusals on record, through the portal's one helper (audit.services.access_denied,
which keeps a storm of them from flooding the log): a 401 with no user, named by the prefix of the
token sent when it has a token's shape (never the token); a 403 or a 404 with the token that was
refused, named as its reads are (its service account, its label, its prefix)."""

from audit.services import access_denied

from .acting import token_actor


def api_denied(request, *, object_type: str, object_id, reason: str, token=None, prefix: str = "",
               **details) -> None:
    """``request``: DRF's or Django's; ``token``: the authenticated API token, if any; ``prefix``:
    that of a token refused at authentication; ``details``: what else identifies the attempt."""
    django_request = getattr(request, "_request", request)
    acting = token_actor(token) if token is not None else None  # named as the token's reads and writes are
    prefix = acting.token if acting else prefix
    access_denied(django_request, object_type=object_type, object_id=object_id, reason=reason,
                  actor=acting.user if acting else None, actor_label=acting.label if acting else "",
                  **({"token": prefix} if prefix else {}), **details)


def refusal_record(context: dict, reason: str, prefix: str = "", **details) -> None:
    """A 401 or 403 the exception handler answers: the endpoint refused, by its path."""
    request = context.get("request")
    if request is None:
        return
    # Only a token already authenticated: reading ``request.auth`` here would authenticate again.
    api_denied(request, object_type="url", object_id=request.path[:40], reason=reason,
               token=getattr(request, "_auth", None), prefix=prefix, **details)
