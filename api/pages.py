"""The citizen's pages of the API app: API tokens (linked from the profile: make a token, shown
once; revoke one), and the signed consent a front desk filed an application with."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.second_factor import fresh_second_factor_required
from audit.services import access_denied, page_denied
from core.errors import ValidationFailed

from . import selectors
from .models import ApiToken, FilingConsent, Scope, TokenKind
from .scopes import SCOPE_HELP, scopes_of_kind
from .services import api_token_create, api_token_revoke


@login_required
@require_http_methods(["GET", "POST"])
@fresh_second_factor_required(methods=["POST"])
def tokens(request):
    if not request.user.is_citizen:
        page_denied(request, reason="citizen_only")
        raise Http404
    context = {"new_token": None, "errors": {}, "chosen_scopes": scopes_of_kind(TokenKind.CITIZEN),
               "chosen_days": settings.API_TOKEN_LIFETIME_DAYS}
    if request.method == "POST":
        context["chosen_scopes"] = request.POST.getlist("scopes")
        context["chosen_days"] = request.POST.get("lifetime_days", "")
        try:
            context["issued"], context["new_token"] = api_token_create(
                kind=TokenKind.CITIZEN, name=request.POST.get("name", ""), user=request.user, created_by=request.user,
                lifetime_days=context["chosen_days"] or None, scopes=context["chosen_scopes"])
        except ValidationFailed as exc:
            context["errors"] = exc.errors
    context["tokens"] = selectors.tokens_of_citizen(request.user)
    context["scope_choices"] = [(scope, Scope(scope).label, SCOPE_HELP[scope]) for scope in scopes_of_kind(TokenKind.CITIZEN)]
    context["lifetime_choices"] = lifetime_choices()
    return render(request, "api/tokens.html", context, status=400 if context["errors"] else 200)


def lifetime_choices() -> list[tuple[int, str]]:
    """What a citizen may pick for a new token's life: a month, three, six, or the longest allowed."""
    longest = settings.API_TOKEN_LIFETIME_DAYS
    days = sorted({d for d in (30, 90, 180) if d < longest} | {longest})
    return [(d, ngettext("%(count)d day", "%(count)d days", d) % {"count": d}) for d in days]


@login_required
@require_POST
def token_revoke(request, pk):
    try:
        api_token_revoke(token_id=pk, actor=request.user, owner=request.user)
    except ApiToken.DoesNotExist:  # another's token, or none: a 404, on record
        access_denied(request, object_type="api_token", object_id=pk)
        raise Http404
    messages.success(request, _("The token is revoked: it no longer works."))
    return redirect("api:tokens")


@login_required
def consent_document(request, pk):
    """The citizen downloads the consent they signed at the front desk; anyone else gets a 404, on record."""
    try:
        consent = selectors.consent_document_of(request.user, pk)
    except FilingConsent.DoesNotExist:
        access_denied(request, object_type="filing_consent", object_id=pk)
        raise Http404
    return FileResponse(consent.document.open("rb"), as_attachment=True, filename=consent.document_name,
                        content_type="application/octet-stream")
