"""Forms of public verification and of the staff's revoke / re-issue actions (a re-issue is
proposed by one person and approved or rejected by another)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .codes import normalize_code
from .selectors import normalize_number
from .services import CORRECTABLE, CORRECTABLE_LABELS, REASON_MAX_LENGTH


def _helper(label: str, name: str, *, method: str = "post", css_class: str = "btn-primary") -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.form_method = method
    helper.add_input(Submit(name, label, css_class=css_class))
    return helper


class VerifyNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Permit number"), max_length=40, help_text=_("As printed on the permit, for example P-2026-000123."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )

    # Optional: with it, the number opens what the permit states (as its QR code does).
    code = forms.CharField(
        label=_("Verification code"), max_length=64, required=False,
        help_text=_("Optional. The last part of the verification address printed at the foot of the permit: "
                    "with it you also see what the permit states."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Check the number"), "check")

    def clean_number(self):
        number = normalize_number(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError(_("This is not a permit number. Permit numbers look like P-2026-000123."))
        return number

    def clean_code(self):
        raw = self.cleaned_data["code"].strip()
        if not raw:
            return ""
        code = normalize_code(raw)
        if code is None:
            raise forms.ValidationError(
                _("This is not a verification code. It is the last part of the verification address at the foot "
                  "of the permit: 26 letters and digits 2 to 7."))
        return code


class VerifyFileForm(forms.Form):
    file = forms.FileField(
        label=_("The permit file (PDF)"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
        help_text=_("We compare it with the files we issued and check its electronic signature. It is not kept."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Check the file"), "check_file")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PERMIT_VERIFY_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(_("The file is larger than %(size)s: a permit is much smaller.") % {
                "size": filesizeformat(limit)})
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the revocation"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the holder and kept on record. The public verification page says only that the "
                    "permit is revoked, and since when."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="revoke", **kwargs)
        self.helper = _helper(_("Revoke the permit"), "revoke_submit", css_class="btn-danger")


class ReissueForm(forms.Form):
    """The proposal of a correction: it waits for a second person's approval."""

    holder = forms.CharField(label=CORRECTABLE_LABELS["holder"], max_length=CORRECTABLE["holder"])
    business_name = forms.CharField(label=CORRECTABLE_LABELS["business_name"], max_length=CORRECTABLE["business_name"],
                                    required=False)
    site_address = forms.CharField(label=CORRECTABLE_LABELS["site_address"], max_length=CORRECTABLE["site_address"],
                                   required=False)
    reason = forms.CharField(
        label=_("What was corrected, and why"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, holder: bool = True, **kwargs):
        super().__init__(*args, prefix="reissue", **kwargs)
        if not holder:  # someone not shown the applicant's name neither sees nor corrects it
            del self.fields["holder"]
            self.initial.pop("holder", None)
        self.helper = _helper(_("Propose the correction"), "reissue_submit", css_class="btn-outline-primary")


class RejectCorrectionForm(forms.Form):
    """Rejecting a proposed correction; for its proposer, withdrawing it."""

    reason = forms.CharField(label=_("Why you reject it"), max_length=REASON_MAX_LENGTH,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, withdraw: bool = False, **kwargs):
        super().__init__(*args, prefix="reject", **kwargs)
        if withdraw:
            self.fields["reason"].label = _("Why you withdraw it")
        self.helper = _helper(_("Withdraw the proposal") if withdraw else _("Reject the correction"), "reject_submit",
                              css_class="btn-outline-danger")
