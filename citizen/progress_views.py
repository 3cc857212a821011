"""The public progress check at /progress/ (no sign-in): the reference and check code from the
receipt, sent by POST so that the code never stands in an address, a history or a log; the
answer is the page the POST returns (approvals.progress decides what it shows). Rate-limited per
client address (PROGRESS_CHECK_RATE): failed attempts count, the ones that guess; a holder checking
their own application again and again is never locked out by it."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import get_usage

from approvals.check_codes import is_check_code, normalize_check_code
from approvals.progress import progress_check
from audit.services import client_ip

REFERENCE_RE = re.compile(r"^[AB]-\d{4}-\d{6,12}$")
INPUT_MAX = 40  # characters of either box: more is no reference or code


class ProgressForm(forms.Form):
    reference = forms.CharField(
        label=_("Application reference"), max_length=INPUT_MAX,
        help_text=_("As printed on your receipt, for example A-2026-000123 (B-… for several permits applied for "
                    "together)."),
        error_messages={"required": _("Enter the reference printed on your receipt."),
                        "max_length": _("A reference is at most 20 characters, for example A-2026-000123.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}))
    code = forms.CharField(
        label=_("Check code"), max_length=INPUT_MAX,
        help_text=_("The 8 characters printed next to the reference, for example K7PM-2QXD."),
        error_messages={"required": _("Enter the check code printed on your receipt."),
                        "max_length": _("A check code is 8 letters and digits, for example K7PM-2QXD.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("check", _("Check progress")))

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip().upper()
        if not REFERENCE_RE.match(reference):
            raise forms.ValidationError(_("Enter the reference as printed on your receipt, for example A-2026-000123."))
        return reference

    def clean_code(self):
        code = normalize_check_code(self.cleaned_data["code"])
        if not is_check_code(code):
            raise forms.ValidationError(_("A check code is 8 letters and digits, for example K7PM-2QXD."))
        return code


def _page(request, form, *, progress=None, not_found=False, status=200):
    return render(request, "approvals/progress.html", {"form": form, "progress": progress, "not_found": not_found},
                  status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def progress(request):
    if request.method == "GET":
        return _page(request, ProgressForm())
    if _limited(request, failed=False):
        return render(request, "approvals/progress_limited.html", status=429)
    form = ProgressForm(request.POST)
    if not form.is_valid():
        _limited(request, failed=True)
        return _page(request, form, status=400)
    found = progress_check(reference=form.cleaned_data["reference"], code=form.cleaned_data["code"],
                           ip=client_ip(request))
    if found is None:  # the code typed is not written back into the page
        _limited(request, failed=True)
        return _page(request, ProgressForm(initial={"reference": form.cleaned_data["reference"]}), not_found=True,
                     status=404)
    return _page(request, ProgressForm(), progress=found)


def _limited(request, *, failed: bool) -> bool:
    """Whether the address has used up its failed checks; ``failed`` counts one more."""
    usage = get_usage(request, group="progress.check", key=lambda _g, r: client_ip(r) or "unknown",
                      rate=settings.PROGRESS_CHECK_RATE, increment=failed)
    return usage is not None and usage["count"] >= usage["limit"]
