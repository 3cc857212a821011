"""Signing in with the identity service (accounts.oidc): the start, the provider's answer, and the
two questions a first sign-in may need: an e-mail address when the service gives none, and the
password of the account that already has the address.

portal.urls joins these pages to the accounts namespace and gives them the services that bind the
identity and record it in the audit log in one transaction (portal.identity): accounts cannot
reach the audit log itself. Every failure is a message on the sign-in page, never a 500."""

import time
from dataclasses import replace
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from . import oidc
from .client_ip import client_ip
from .errors import AccountError
from .forms import IdentityEmailForm, IdentityLinkForm, apply_errors
from .identities import Assertion, Binding, Outcome
from .models import User
from .redirects import safe_next
from .second_factor import mark_fresh

BACKEND = "django.contrib.auth.backends.ModelBackend"
SESSION_NEXT = "oidc_next"  # where the person goes once signed in
SESSION_PENDING = "oidc_pending"  # an assertion waiting for an e-mail address or a password
PENDING_SECONDS = 15 * 60


class IdentityServiceMixin:
    def dispatch(self, request, *args, **kwargs):
        if not oidc.configured():
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class StartView(IdentityServiceMixin, View):
    """The sign-in button posts here: off to the provider, or back with a message if it is down."""

    http_method_names = ["post"]

    def post(self, request):
        next_url = safe_next(request, request.POST.get("next"))
        request.session[SESSION_NEXT] = next_url
        try:
            return oidc.authorization_redirect(request)
        except AccountError as exc:
            messages.error(request, exc.message)
            return redirect(_login_url(next_url))


class CallbackView(IdentityServiceMixin, View):
    """The provider's answer: the person signs in, or is asked for what is missing."""

    sign_in = None  # portal.identity.identity_sign_in

    def get(self, request):
        try:
            assertion, id_token = oidc.callback_assertion(request)
            binding = self.sign_in(assertion=assertion, language=translation.get_language(), ip=client_ip(request))
        except AccountError as exc:
            messages.error(request, exc.message)
            if exc.field == "email":  # the service's address is a staff account's: ask for another
                _pending_save(request, assertion, id_token)
                return redirect("accounts:oidc_email")
            return redirect(_login_url(request.session.get(SESSION_NEXT, "")))
        return _go_on(request, binding, assertion, id_token)


class PendingMixin(IdentityServiceMixin):
    """The pages of a first sign-in that waits for an answer; without one, back to the start."""

    needs_account = False  # the page asks about the account that has the address

    def dispatch(self, request, *args, **kwargs):
        pending = request.session.get(SESSION_PENDING)
        if not pending or pending["until"] < time.time():
            request.session.pop(SESSION_PENDING, None)
            messages.error(request, _("Your sign-in with %(service)s has expired. Start it again.")
                           % {"service": oidc.provider_name()})
            return redirect("accounts:login")
        self.assertion = Assertion(**pending["assertion"])
        self.id_token = pending["id_token"]
        self.account = User.objects.filter(pk=pending["account"], is_active=True).first() if pending["account"] else None
        if self.needs_account and self.account is None:  # no account waits for a password: an address is missing
            return redirect("accounts:oidc_email")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(service=self.assertion.provider_name, **kwargs)


class EmailView(PendingMixin, FormView):
    """The service gave no e-mail address (or a staff account's): the person gives one, which gets
    a verification link as a registration's does."""

    form_class = IdentityEmailForm
    template_name = "accounts/oidc_email.html"
    sign_in = None  # portal.identity.identity_sign_in

    def form_valid(self, form):
        assertion = replace(self.assertion, email=form.cleaned_data["email"], email_verified=False)
        try:
            binding = self.sign_in(assertion=assertion, language=translation.get_language(),
                                   ip=client_ip(self.request))
        except AccountError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        return _go_on(self.request, binding, assertion, self.id_token)


class LinkView(PendingMixin, FormView):
    """An account has the address: its password proves the person holds it, then the identity is
    linked to it. A wrong password counts towards the sign-in throttle as on the sign-in page."""

    form_class = IdentityLinkForm
    template_name = "accounts/oidc_link.html"
    link = None  # portal.identity.identity_link
    needs_account = True

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request, "account": self.account}

    def get_context_data(self, **kwargs):
        return super().get_context_data(account_email=self.account.email, **kwargs)

    def form_valid(self, form):
        try:
            binding = self.link(assertion=self.assertion, user=form.user, ip=client_ip(self.request))
        except AccountError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        return _go_on(self.request, binding, self.assertion, self.id_token)


def _login_url(next_url: str) -> str:
    url = reverse("accounts:login")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _pending_save(request, assertion: Assertion, id_token: str, account=None) -> None:
    request.session[SESSION_PENDING] = {"assertion": assertion.as_dict(), "id_token": id_token,
                                        "account": getattr(account, "pk", None), "until": time.time() + PENDING_SECONDS}


def _go_on(request, binding: Binding, assertion: Assertion, id_token: str):
    """Sign the person in, or ask what the binding still needs."""
    if binding.user is None:
        _pending_save(request, assertion, id_token, binding.account)
        return redirect("accounts:oidc_email" if binding.outcome == Outcome.NEEDS_EMAIL else "accounts:oidc_link")
    user = binding.user
    next_url = request.session.pop(SESSION_NEXT, "")
    request.session.pop(SESSION_PENDING, None)
    request.sign_in_details = assertion.sign_in_details()  # for the audit event (portal.auth_audit)
    login(request, user, backend=BACKEND)
    mark_fresh(request)  # the identity service has just confirmed it is them
    request.session[oidc.SESSION_ID_TOKEN] = id_token
    service = {"service": assertion.provider_name, "email": user.email}
    if binding.outcome == Outcome.CREATED:
        messages.success(request, _("Welcome. Your account is made from the details %(service)s holds about you.")
                         % service)
        if not user.email_verified:
            messages.info(request, _("We have sent a link to %(email)s: follow it to confirm your email address, "
                                     "so that the portal can write to you.") % service)
    elif binding.outcome == Outcome.LINKED:
        messages.success(request, _("Your %(service)s identity is now linked to your account. From now on, sign in "
                                    "with %(service)s.") % service)
    return redirect(next_url or reverse("landing"))
