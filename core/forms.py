"""Form helpers every face uses."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def apply_errors(form, errors: dict) -> None:
    """Show an engine ValidationFailed's errors on the form: by field where it has one, else on top."""
    for key, texts in errors.items():
        for message in texts:
            form.add_error(key if key in form.fields else None, message)


class MarkReadForm(forms.Form):
    """A page's "Mark as read": the newest item it showed, so that what arrived later stays new."""

    up_to = forms.IntegerField(min_value=1)


def sent_in_background(request) -> bool:
    """A form the page sent by itself (portal.js, ``data-send-when-seen``), not a button's post."""
    return request.headers.get("X-Requested-With") == "fetch"


def mark_read(request, mark, *, back: str) -> HttpResponse:
    """Run ``mark(up_to)`` for a "Mark as read" post. A button's post goes ``back`` with a message;
    one the page sent by itself gets an empty 204 (or a 400), and no message to show on a later page."""
    form = MarkReadForm(request.POST)
    background = sent_in_background(request)
    if not form.is_valid():
        if background:
            return HttpResponse(status=400)
        messages.error(request, _("Nothing was marked as read: open the page again and use its button."))
        return redirect(back)
    mark(form.cleaned_data["up_to"])
    if background:
        return HttpResponse(status=204)
    messages.success(request, _("Marked as read."))
    return redirect(back)


def submit_helper(name: str, label) -> FormHelper:
    """A crispy helper for a form the template wraps in its own <form> with the CSRF token, with
    one submit button."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.add_input(Submit(name, label))
    return helper
