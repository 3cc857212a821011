"""Sign-in, registration with email verification, password change and reset.

Django's authentication views do the sign-in, sign-out and reset flows with the portal's forms
and templates; the other views validate, call one service and render or redirect."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from . import oidc, services, throttling
from .client_ip import client_ip
from .errors import AccountError, VerificationExpired, VerificationFailed
from .forms import (
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    RegisterForm,
    ResendVerificationForm,
    apply_errors,
)
from .ratelimits import form_limited, too_many_sent
from .redirects import safe_next
from .second_factor import mark_fresh, second_factor_required, second_step_url, session_verified
from .tokens import citizen_password_reset_token, password_reset_token_for, verification_timeout_text


class LoginView(auth_views.LoginView):
    """Goes on to a safe ``next``; without one, to the person's landing page. Staff go there
    through the second step (or, without a second factor yet, its enrolment): the password
    alone leaves their session unverified (accounts.second_factor)."""

    authentication_form = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("landing")

    def get_redirect_url(self):
        # A next that is this page would send a signed-in person back here forever (Django: a 500).
        url = super().get_redirect_url()
        return "" if url and urlsplit(url).path == self.request.path else url

    def form_valid(self, form):
        response = super().form_valid(form)
        if not second_factor_required(form.get_user()):
            mark_fresh(self.request)  # a citizen's password is all they have to confirm it is them
        return response

    def get_success_url(self):
        url = super().get_success_url()
        user = self.request.user
        if second_factor_required(user) and not session_verified(self.request):
            return second_step_url(user, url if url != self.get_default_redirect_url() else "")
        return url


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default); the header's sign-out button posts here. A session signed in
    with the identity service ends there too, when the provider offers it (RP-initiated logout)."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get(oidc.SESSION_ID_TOKEN, "")
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have signed out."))
        provider_logout = oidc.end_session_url(id_token)
        return redirect(provider_logout) if provider_logout else response


class AnonymousOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("landing")
        return super().dispatch(request, *args, **kwargs)


class KeepsNextMixin:
    """Carries a safe ``next`` (where the citizen was going) through a form into the
    verification link it mails."""

    def next_url(self) -> str:
        return safe_next(self.request, self.request.POST.get("next") or self.request.GET.get("next"))

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=self.next_url(), **kwargs)


class RegisterView(AnonymousOnlyMixin, KeepsNextMixin, FormView):
    """An address that already has an account gets the same answer as a new one (see the service)."""

    form_class = RegisterForm
    template_name = "accounts/register.html"
    success_url = reverse_lazy("accounts:register_done")

    def post(self, request, *args, **kwargs):
        if not settings.CITIZEN_PASSWORD_SIGN_IN:  # accounts come from the identity service only
            return redirect("accounts:register")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        if form_limited(self.request, "register", data["email"]):
            return too_many_sent(self.request, "register")
        try:
            services.citizen_register(email=data["email"], full_name=data["full_name"], phone=data["phone"],
                                      password=data["password"], language=translation.get_language(),
                                      next_url=self.next_url())
        except AccountError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        return super().form_valid(form)


class RegisterDoneView(TemplateView):
    template_name = "accounts/register_done.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(valid_for=verification_timeout_text(), **kwargs)


# The token of the link opened is kept in the session until the button is pressed, so that it
# leaves the address bar (and any Referer) at once, as Django's password reset does with its own.
VERIFICATION_SESSION_KEY = "accounts.verification"


def verify_failed(request, exc: VerificationFailed, next_url: str = ""):
    """A used, expired or altered link: nobody is signed in, and a new link is offered."""
    request.session.pop(VERIFICATION_SESSION_KEY, None)
    return render(request, "accounts/verify_failed.html", {
        "message": exc.message, "expired": isinstance(exc, VerificationExpired), "next": next_url}, status=400)


class VerifyLinkView(View):
    """The link in the mail. Mail scanners and link previews open links before the person does,
    so opening it changes nothing: a working link goes on to the button that confirms
    (VerifyConfirmView), a used, expired or altered one gets a page that says so."""

    def get(self, request, uidb64, token):
        next_url = safe_next(request, request.GET.get("next"))
        try:
            services.email_verification_check(uidb64=uidb64, token=token)
        except VerificationFailed as exc:
            return verify_failed(request, exc, next_url)
        request.session[VERIFICATION_SESSION_KEY] = {"uidb64": uidb64, "token": token, "next": next_url}
        return redirect("accounts:verify_confirm")


class VerifyConfirmView(View):
    """The page with one button, "Confirm my email address". Pressing it verifies the address of
    the link opened in this browser (single use, short-lived: accounts.tokens), signs the citizen
    in and goes on to the link's safe ``next`` or their landing page. A link used, expired or made void (a changed
    address, a closed account) since it was opened signs nobody in. Pressed again after
    confirming, it changes nothing and goes to the landing page."""

    def dispatch(self, request, *args, **kwargs):
        self.link = request.session.get(VERIFICATION_SESSION_KEY)
        if self.link is None:
            if request.user.is_authenticated:
                return redirect("landing")
            return verify_failed(request, VerificationFailed())
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        try:
            user = services.email_verification_check(uidb64=self.link["uidb64"], token=self.link["token"])
        except VerificationFailed as exc:
            return verify_failed(request, exc, self.link["next"])
        return render(request, "accounts/verify_confirm.html", {"email": user.email})

    def post(self, request):
        try:
            user = services.email_verify(uidb64=self.link["uidb64"], token=self.link["token"])
        except VerificationFailed as exc:
            return verify_failed(request, exc, self.link["next"])
        request.session.pop(VERIFICATION_SESSION_KEY)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your email address is confirmed and you are signed in."))
        return redirect(self.link["next"] or reverse("landing"))


class ResendVerificationView(KeepsNextMixin, FormView):
    form_class = ResendVerificationForm
    template_name = "accounts/resend.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        services.email_verification_resend(email=form.cleaned_data["email"], next_url=self.next_url())
        messages.success(self.request, _(
            "If that address has an account still waiting for verification, we have sent it a new link. "
            "The link works for %(valid_for)s."
        ) % {"valid_for": verification_timeout_text()})
        return super().form_valid(form)


class ResetEmailContextMixin:
    @property
    def extra_email_context(self):
        return {"SITE_URL": settings.SITE_URL}


class PasswordResetView(ResetEmailContextMixin, auth_views.PasswordResetView):
    """Always answers the same page, whether or not the address has an account. Rate-limited per
    client address and per address asked for: over either, a 429 page and no mail."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset_body.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    token_generator = citizen_password_reset_token  # links are made alike; checked per role

    def form_valid(self, form):
        if form_limited(self.request, "password_reset", form.cleaned_data["email"]):
            return too_many_sent(self.request, "password_reset")
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A staff member's link works for an hour, a citizen's for PASSWORD_RESET_TIMEOUT."""

    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    @property
    def token_generator(self):
        return password_reset_token_for(getattr(self, "user", None))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "ip": client_ip(self.request)}


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(LoginRequiredMixin, FormView):
    """Anyone signed in changes their password, giving the current one. A wrong current password
    counts as a failed sign-in on the account (accounts.throttling), so the page cannot be used to
    guess it; the person's other sessions end, this one goes on."""

    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("landing")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "ip": client_ip(self.request)}

    def post(self, request, *args, **kwargs):
        if throttling.retry_after(request, request.user.email):
            return throttling.lockout_response(request, request.user.email)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            user = form.save()
        except AccountError as exc:
            if exc.field == "old_password":
                throttling.record_failure(self.request, self.request.user.email, stage="password_change")
            apply_errors(form, exc)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password is changed. Use the new one from now on."))
        return super().form_valid(form)


@require_POST
def set_language(request):
    """Django's language switch, also remembered on the account of a signed-in person."""
    response = i18n_views.set_language(request)
    if request.user.is_authenticated and request.POST.get("language"):
        services.user_set_language(user=request.user, language=request.POST["language"])
    return response
