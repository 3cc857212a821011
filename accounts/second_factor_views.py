"""The sign-in's second step, "Confirm it is you" before sensitive actions, setting up an
authenticator app with its recovery codes, and the staff's "Sign-in security" page.

Views validate, call one service (accounts.factors) and render or redirect. Every success goes
through accounts.second_factor.second_factor_passed, every wrong code or password through
second_factor_failed (which the sign-in throttle counts). The passkey ceremonies are in
accounts.passkey_views."""

from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView
from django_otp import login as otp_login

from . import factors
from .client_ip import client_ip
from .errors import AccountError, WrongCode, WrongPassword
from .forms import CodeForm, PasswordConfirmForm, RecoveryCodeForm, apply_errors
from .redirects import safe_next
from .second_factor import (
    RECOVERY_CODES_TO_SHOW,
    confirm_url,
    fresh_second_factor_required,
    is_fresh,
    lockout_response,
    mark_fresh,
    second_factor_failed,
    second_factor_locked,
    second_factor_passed,
    second_factor_required,
    second_step_url,
    session_verified,
)


class NextMixin:
    def next_url(self) -> str:
        return safe_next(self.request, self.request.POST.get("next") or self.request.GET.get("next"))

    def done_url(self) -> str:
        return self.next_url() or reverse("landing")


class StaffOnlyMixin(LoginRequiredMixin):
    """Pages of the staff's second factor; a citizen has none, and gets "not found"."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not second_factor_required(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


# --- The second step, and confirming it is them -------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class SecondFactorView(LoginRequiredMixin, NextMixin, FormView):
    """A code at the sign-in's second step (``confirming`` False), or to confirm it is them before
    a sensitive action (True): from the authenticator app (with the passkey offered beside it),
    or one of the recovery codes (``recovery``). A citizen confirming, who has no second factor,
    types their password."""

    template_name = "accounts/second_factor.html"
    confirming = False
    recovery = False

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return self.handle_no_permission()
        if not self.confirming and (not second_factor_required(user) or session_verified(request)):
            return redirect(self.done_url())
        if second_factor_required(user) and not factors.has_factor(user):
            return redirect(second_step_url(user, self.next_url()))
        if self.by_password() and self.recovery:
            raise Http404
        if second_factor_locked(request, user):
            return lockout_response(request, user)
        return super().dispatch(request, *args, **kwargs)

    def by_password(self) -> bool:
        return self.confirming and not second_factor_required(self.request.user)

    def get_form_class(self):
        if self.by_password():
            return PasswordConfirmForm
        return RecoveryCodeForm if self.recovery else CodeForm

    def get_context_data(self, **kwargs):
        user = self.request.user
        by_code = not self.by_password() and not self.recovery
        prefix = "accounts:confirm" if self.confirming else "accounts:second_factor"
        has_totp = by_code and factors.totp_devices(user).exists()
        return super().get_context_data(
            confirming=self.confirming, recovery=self.recovery, by_password=self.by_password(), next=self.next_url(),
            has_totp=has_totp, show_form=has_totp or not by_code, has_passkey=by_code and factors.passkeys(user).exists(),
            sign_in_again=self.by_password() and not user.has_usable_password(),
            other_url=reverse(prefix if self.recovery else f"{prefix}_recovery"), **kwargs,
        )

    def form_valid(self, form):
        request, user = self.request, self.request.user
        ip, value = client_ip(request), form.cleaned_data.get("code", "")
        try:
            if self.by_password():
                device = factors.password_reconfirm(user=user, password=form.cleaned_data["password"], ip=ip)
            elif self.recovery:
                device = factors.recovery_code_use(user=user, code=value, ip=ip, reauthenticating=self.confirming)
            else:
                device = factors.totp_verify(user=user, token=value, ip=ip, reauthenticating=self.confirming)
        except (WrongCode, WrongPassword) as exc:
            second_factor_failed(request, user)
            if second_factor_locked(request, user):
                return lockout_response(request, user)
            apply_errors(form, exc)
            return self.form_invalid(form)
        except AccountError as exc:  # too many wrong codes in a row: wait
            apply_errors(form, exc)
            return self.form_invalid(form)
        if device is None:
            mark_fresh(request)
        else:
            second_factor_passed(request, device)
        if self.recovery:
            left = factors.recovery_codes_left(user)
            messages.warning(request, ngettext(
                "You have %(n)d recovery code left. Make new ones on your Sign-in security page.",
                "You have %(n)d recovery codes left. Make new ones on your Sign-in security page.", left,
            ) % {"n": left})
        if self.confirming:
            messages.success(request, _("Thank you: you have confirmed it is you. You can go on."))
        return redirect(self.done_url())


# --- Setting up an authenticator app, and the recovery codes ------------------------------------


@method_decorator(never_cache, name="dispatch")
class EnrolView(StaffOnlyMixin, NextMixin, FormView):
    """An authenticator app: a QR code to scan (or the key to type), confirmed by one code. The
    first one also brings the recovery codes. A session already verified adds another app, after
    confirming it is them; an unverified one may set up an app only while the account has none."""

    template_name = "accounts/second_factor_enrol.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and second_factor_required(user):
            if not session_verified(request) and factors.has_factor(user):
                return redirect(second_step_url(user, self.next_url()))
            if session_verified(request) and not is_fresh(request):
                return redirect(confirm_url(request.get_full_path()))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        device = factors.totp_device_pending(user=self.request.user)
        qr = segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")
        return super().get_context_data(qr=qr, secret=factors.totp_secret_text(device), next=self.next_url(),
                                        first=not session_verified(self.request), **kwargs)

    def form_valid(self, form):
        request, user = self.request, self.request.user
        device = factors.totp_device_pending(user=user)
        try:
            codes = factors.totp_device_confirm(user=user, device_id=device.pk, token=form.cleaned_data["code"],
                                                ip=client_ip(request))
        except AccountError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        if not session_verified(request):
            second_factor_passed(request, device)
        messages.success(request, _("Your authenticator app is set up."))
        if codes:
            request.session[RECOVERY_CODES_TO_SHOW] = codes
            url = reverse("accounts:recovery_codes")
            return redirect(f"{url}?{urlencode({'next': self.next_url()})}" if self.next_url() else url)
        return redirect("accounts:security")


@method_decorator(never_cache, name="dispatch")
class RecoveryCodesView(StaffOnlyMixin, NextMixin, TemplateView):
    """New recovery codes, shown once: the session keeps them only until this page shows them."""

    template_name = "accounts/recovery_codes.html"

    def get(self, request, *args, **kwargs):
        codes = request.session.pop(RECOVERY_CODES_TO_SHOW, None)
        if not codes:
            messages.info(request, _("Recovery codes are shown only once. If you have lost yours, make new ones."))
            return redirect("accounts:security")
        return self.render_to_response(self.get_context_data(
            codes=[factors.recovery_code_text(code) for code in codes], done_url=self.done_url()))


def _to_security_page(request, *args, **kwargs) -> str:
    return reverse("accounts:security")


@method_decorator(fresh_second_factor_required(form_page=_to_security_page), name="post")
class RecoveryCodesNewView(StaffOnlyMixin, View):
    def post(self, request):
        try:
            codes = factors.recovery_codes_issue(user=request.user, ip=client_ip(request))
        except AccountError as exc:
            messages.error(request, exc.message)
            return redirect("accounts:security")
        request.session[RECOVERY_CODES_TO_SHOW] = codes
        return redirect("accounts:recovery_codes")


# --- Sign-in security ---------------------------------------------------------------------------


@method_decorator(fresh_second_factor_required, name="get")
@method_decorator(never_cache, name="dispatch")
class SecurityView(StaffOnlyMixin, TemplateView):
    """The person's authenticator apps and passkeys (add, remove: never the last one) and their
    recovery codes (how many are left; new ones in place of the old)."""

    template_name = "accounts/security.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        apps, keys = list(factors.totp_devices(user)), list(factors.passkeys(user))
        return super().get_context_data(totp_devices=apps, passkeys=keys, removable=len(apps) + len(keys) > 1,
                                        codes_left=factors.recovery_codes_left(user),
                                        code_count=factors.RECOVERY_CODE_COUNT, **kwargs)


@method_decorator(fresh_second_factor_required(form_page=_to_security_page), name="post")
class FactorRemoveView(StaffOnlyMixin, View):
    def post(self, request, kind, pk):
        user = request.user
        current = request.user.otp_device
        try:
            factors.factor_remove(user=user, kind=kind, device_id=pk, ip=client_ip(request))
        except AccountError as exc:
            messages.error(request, exc.message)
            return redirect("accounts:security")
        if factors.kind_of(current) == kind and current.pk == pk:
            # The person has just confirmed it is them; the session stays verified by a factor
            # that still exists rather than being sent back to the second step.
            otp_login(request, factors.factors(user)[0])
        messages.success(request, _("Removed. You can no longer use it to confirm it is you."))
        return redirect("accounts:security")
