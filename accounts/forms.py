"""Account forms. Each renders its fields through crispy-forms (Bootstrap 5); the page template
writes the <form> tag, the CSRF token and the button, and shows the error summary above."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import oidc, services
from .errors import AccountError
from .validators import PROFILE_VALIDATORS


def fields_helper(*fields) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    # Fields with their inline errors; form-wide errors appear once, in the error summary.
    helper.template = "accounts/includes/form_fields.html"
    helper.layout = Layout(*fields)
    return helper


def password_help_text() -> str:
    return " ".join(str(text) for text in password_validation.password_validators_help_texts())


def email_field(**kwargs) -> forms.EmailField:
    return forms.EmailField(
        label=_("Email address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"}),
        **kwargs,
    )


def apply_errors(form: forms.Form, error: AccountError) -> None:
    """Show an ``AccountError`` on the form: on its field when the form has one, else form-wide."""
    errors = getattr(error, "errors", None) or {error.field: error.messages}
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class LoginForm(auth_forms.AuthenticationForm):
    """Email and password. A citizen who has not verified their address yet is told so, with a
    link to get a new verification mail; the password was right, so this reveals nothing new."""

    username = forms.CharField(
        label=_("Email address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _("The email address or the password is not right. Check both and try again."),
        "unverified": _("Verify your email address before you sign in: follow the link in the mail we sent when you "
                        "registered."),
        "identity_service_only": _("Citizens sign in with %(service)s here, not with a password."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.helper = fields_helper("username", "password")

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_citizen and not settings.CITIZEN_PASSWORD_SIGN_IN:
            raise ValidationError(self.error_messages["identity_service_only"], code="identity_service_only",
                                  params={"service": oidc.provider_name()})
        if user.is_citizen and not user.email_verified:
            raise ValidationError(
                format_html('{} <a href="{}">{}</a>', self.error_messages["unverified"],
                            reverse("accounts:resend_verification"), gettext("Send me a new link.")),
                code="unverified",
            )


class RegisterForm(forms.Form):
    email = email_field(help_text=_("We send a link to this address to confirm it is yours."))
    full_name = forms.CharField(
        label=_("Full name"), max_length=150, help_text=_("As shown on your identity document."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Enter your full name.")},
    )
    phone = forms.CharField(
        label=_("Phone number (optional)"), max_length=32, required=False, validators=PROFILE_VALIDATORS["phone"],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Confirm the password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = password_help_text()
        self.helper = fields_helper("email", "full_name", "phone", "password", "password_confirm")

    def clean(self):
        cleaned_data = super().clean()
        password, confirm = cleaned_data.get("password"), cleaned_data.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("The two passwords are not the same."))
        if password:
            # Checked here too so that every problem shows at once; the service checks again.
            candidate = get_user_model()(email=cleaned_data.get("email") or "", full_name=cleaned_data.get("full_name") or "")
            try:
                password_validation.validate_password(password, user=candidate)
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned_data


class ResendVerificationForm(forms.Form):
    email = email_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = fields_helper("email")


class ProfileForm(forms.Form):
    """The citizen's details. A verified identity number is not among the fields: the page shows
    it, and nobody but the identity service or a counter changes it."""

    full_name = forms.CharField(
        label=_("Full name"), max_length=150, validators=PROFILE_VALIDATORS["full_name"],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Enter your full name.")},
    )
    phone = forms.CharField(
        label=_("Phone number"), max_length=32, required=False, validators=PROFILE_VALIDATORS["phone"],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    id_number = forms.CharField(
        label=_("Identity document number"), max_length=32, required=False, validators=PROFILE_VALIDATORS["id_number"],
        help_text=_("Departments use it to confirm who you are."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    address = forms.CharField(
        label=_("Address"), max_length=255, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    def __init__(self, *args, identity_verified: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if identity_verified:
            del self.fields["id_number"]
        self.helper = fields_helper(*self.fields)


class PasswordResetRequestForm(auth_forms.PasswordResetForm):
    email = email_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = fields_helper("email")


class NewPasswordForm(auth_forms.SetPasswordForm):
    """The new password from a reset link. Saving it also marks the address verified."""

    new_password1 = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("Confirm the new password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    error_messages = {"password_mismatch": _("The two passwords are not the same.")}

    def __init__(self, user, *args, ip=None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.ip = ip  # the client's address, for the audit log
        self.fields["new_password1"].help_text = password_help_text()
        self.helper = fields_helper("new_password1", "new_password2")

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self)

    def save(self, commit=True):
        return services.user_password_reset(user=self.user, password=self.cleaned_data["new_password1"], ip=self.ip)


class PasswordChangeForm(NewPasswordForm):
    """The current password and a new one, for a signed-in person. The service checks the
    current password (a wrong one counts as a failed sign-in: accounts.throttling)."""

    old_password = forms.CharField(
        label=_("Current password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "new_password1", "new_password2"]

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.order_fields(self.field_order)
        self.helper = fields_helper("old_password", "new_password1", "new_password2")

    def save(self, commit=True):
        return services.user_password_change(user=self.user, current_password=self.cleaned_data["old_password"],
                                             password=self.cleaned_data["new_password1"], ip=self.ip)


class IdentityEmailForm(forms.Form):
    """The e-mail address of a citizen the identity service signed in without giving one."""

    email = email_field(help_text=_("We send a link to this address to confirm it is yours."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = fields_helper("email")


class IdentityLinkForm(forms.Form):
    """The password of the account that has the identity service's e-mail address: it proves the
    person signed in with the service holds that account. Checked through authenticate(), so a
    wrong password counts towards the sign-in throttle as on the sign-in page."""

    password = forms.CharField(
        label=_("Password of that account"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request=None, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request, self.account, self.user = request, account, None
        self.helper = fields_helper("password")

    def clean(self):
        cleaned_data = super().clean()
        password = cleaned_data.get("password")
        if password:
            self.user = authenticate(self.request, username=self.account.email, password=password)
            if self.user is None or self.user.pk != self.account.pk:
                self.user = None
                raise ValidationError(_("The password is not right. Check it and try again, or use another email "
                                        "address for your account."), code="invalid_login")
        return cleaned_data


class ClaimCodeForm(forms.Form):
    """The code of a claim letter from a front desk, typed in."""

    code = forms.CharField(
        label=_("Claim code"), max_length=40,
        help_text=_("As printed on the letter from the front desk, for example ABCD-EFGH-JKMN-PQRS-TVWX."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        error_messages={"required": _("Enter the code from your letter.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = fields_helper("code")


class ClaimForm(forms.Form):
    """Setting the password of an account a front desk registered. A printed letter also asks for the
    address to sign in with; a mailed link has proved its address already."""

    id_number = forms.CharField(
        label=_("Identity document number"), max_length=40,
        help_text=_("The number of the identity document the front desk checked, as printed on it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Enter the number of your identity document.")},
    )
    email = email_field(help_text=_("You sign in with it. We send a link to this address to confirm it is yours."))
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Confirm the password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, ask_email: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = password_help_text()
        if not ask_email:
            del self.fields["email"]
        self.helper = fields_helper(*self.fields)

    def clean(self):
        cleaned_data = super().clean()
        password, confirm = cleaned_data.get("password"), cleaned_data.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("The two passwords are not the same."))
        return cleaned_data


# --- Second factor ------------------------------------------------------------------------------

CODE_ATTRS = {"spellcheck": "false", "autocapitalize": "none", "autocorrect": "off"}


class CodeForm(forms.Form):
    """A code from an authenticator app: six digits, spaces forgiven."""

    code = forms.CharField(
        label=_("Code from your authenticator app"), max_length=16,
        help_text=_("The 6-digit number your app shows for this portal now."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", **CODE_ATTRS}),
        error_messages={"required": _("Enter the code from your authenticator app.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = fields_helper("code")

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise ValidationError(_("Enter the 6 digits your authenticator app shows, for example 123456."))
        return code


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Recovery code"), max_length=32,
        help_text=_("One of the recovery codes you saved when you set up your second factor. Each code works once."),
        widget=forms.TextInput(attrs={"autocomplete": "off", **CODE_ATTRS}),
        error_messages={"required": _("Enter one of your recovery codes.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = fields_helper("code")


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = fields_helper("password")
