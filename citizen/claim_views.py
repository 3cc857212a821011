"""Claiming an account a front desk registered: the citizen follows the mailed link (or types the
code of the printed letter), confirms the number of the identity document the desk checked, and
chooses a password; the engine records the claim with its audit event (approvals.applicants)."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from accounts import counter, throttling
from accounts.errors import AlreadyClaimed, ClaimExpired, ClaimFailed, InvalidProfile
from accounts.forms import ClaimCodeForm, ClaimForm, apply_errors
from accounts.models import ClaimChannel
from accounts.views import AnonymousOnlyMixin
from approvals.applicants import applicant_account_claim
from audit.services import client_ip

# The code is kept in the session between the link and the form, so that it leaves the address bar
# (and any Referer) at once, as Django's password reset does with its token.
SESSION_KEY = "accounts.claim_code"


# Guessing a code or a document number is guessing a sign-in: wrong ones count on the sign-in
# throttle (accounts.throttling), unknown codes on the client's address, wrong numbers on the
# account, and an attempt that must wait is not even checked.
UNKNOWN_CODE, WRONG_DOCUMENT = "claim_code", "claim_document"


def _must_wait(request, username: str = "") -> bool:
    return throttling.retry_after(request, username) is not None


def _wrong(request, stage: str, username: str = "") -> bool:
    """Count a wrong guess; True when it starts a wait (answer with the lockout page)."""
    throttling.record_failure(request, username, stage=stage)
    return getattr(request, "axes_locked_out", False)


def claim_failed(request, exc: ClaimFailed):
    request.session.pop(SESSION_KEY, None)
    return render(request, "accounts/claim_failed.html", {
        "message": exc.message, "expired": isinstance(exc, ClaimExpired), "claimed": isinstance(exc, AlreadyClaimed),
    }, status=400)


class ClaimStartView(AnonymousOnlyMixin, FormView):
    """The code of a printed letter, typed in."""

    form_class = ClaimCodeForm
    template_name = "accounts/claim_start.html"
    success_url = reverse_lazy("accounts:claim")

    def form_valid(self, form):
        if _must_wait(self.request):
            return throttling.lockout_response(self.request, "")
        try:
            counter.claim_check(code=form.cleaned_data["code"])
        except ClaimFailed as exc:
            if _wrong(self.request, UNKNOWN_CODE):
                return throttling.lockout_response(self.request, "")
            form.add_error("code", exc.message)
            return self.form_invalid(form)
        self.request.session[SESSION_KEY] = counter.claim_code_clean(form.cleaned_data["code"])
        return super().form_valid(form)


class ClaimLinkView(AnonymousOnlyMixin, View):
    """The link in the mail or on the letter: a usable code goes on to the form; a used, expired or
    unknown one gets a page that says so."""

    def get(self, request, code):
        if _must_wait(request):
            return throttling.lockout_response(request, "")
        try:
            counter.claim_check(code=code)
        except ClaimFailed as exc:
            if _wrong(request, UNKNOWN_CODE):
                return throttling.lockout_response(request, "")
            return claim_failed(request, exc)
        request.session[SESSION_KEY] = counter.claim_code_clean(code)
        return redirect("accounts:claim")


class ClaimView(AnonymousOnlyMixin, FormView):
    form_class = ClaimForm
    template_name = "accounts/claim.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)  # AnonymousOnlyMixin sends them on
        code = request.session.get(SESSION_KEY)
        if not code:
            return redirect("accounts:claim_start")
        try:
            self.claim = counter.claim_check(code=code)
        except ClaimFailed as exc:
            return claim_failed(request, exc)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "ask_email": self.claim.channel == ClaimChannel.LETTER}

    def get_initial(self):
        user = self.claim.user
        return {"email": user.email if user.has_mailbox else ""}

    def get_context_data(self, **kwargs):
        return super().get_context_data(claim=self.claim, **kwargs)

    def form_valid(self, form):
        data, username = form.cleaned_data, self.claim.user.get_username()
        if _must_wait(self.request, username):
            return throttling.lockout_response(self.request, username)
        try:
            claimed = applicant_account_claim(code=self.request.session[SESSION_KEY], id_number=data["id_number"],
                                              password=data["password"], email=data.get("email", ""),
                                              ip=client_ip(self.request))
        except InvalidProfile as exc:
            if "id_number" in exc.errors and _wrong(self.request, WRONG_DOCUMENT, username):
                return throttling.lockout_response(self.request, username)
            apply_errors(form, exc)
            return self.form_invalid(form)
        except ClaimFailed as exc:
            return claim_failed(self.request, exc)
        self.request.session.pop(SESSION_KEY, None)
        if claimed.verification_mailed:
            messages.success(self.request, _(
                "Your password is set. We have sent a link to %(email)s: follow it to confirm the address, and you "
                "are signed in.") % {"email": claimed.user.email})
            return redirect("accounts:login")
        login(self.request, claimed.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, _("Your password is set and you are signed in."))
        return redirect("landing")
