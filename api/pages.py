"""The citizen's API tokens page (linked from the profile): make a token (shown once), revoke one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.second_factor import fresh_second_factor_required
from core.errors import ValidationFailed

from . import selectors
from .models import ApiToken, TokenKind
from .services import api_token_create, api_token_revoke


@login_required
@require_http_methods(["GET", "POST"])
@fresh_second_factor_required(methods=["POST"])
def tokens(request):
    if not request.user.is_citizen:
        raise Http404
    context = {"new_token": None, "errors": {}}
    if request.method == "POST":
        try:
            _token, context["new_token"] = api_token_create(kind=TokenKind.CITIZEN, name=request.POST.get("name", ""),
                                                            user=request.user, created_by=request.user)
        except ValidationFailed as exc:
            context["errors"] = exc.errors
    context["tokens"] = selectors.tokens_of_citizen(request.user)
    return render(request, "api/tokens.html", context, status=400 if context["errors"] else 200)


@login_required
@require_POST
def token_revoke(request, pk):
    try:
        api_token_revoke(token_id=pk, actor=request.user, owner=request.user)
    except ApiToken.DoesNotExist:
        raise Http404
    messages.success(request, _("The token is revoked: it no longer works."))
    return redirect("api:tokens")
