"""The citizen's details, asked once and reused in every application: the page is the citizen's,
and a save goes through the engine, which carries a new name onto the reviews the queues show."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.generic import FormView

from accounts.errors import AccountError
from accounts.forms import ProfileForm, apply_errors
from approvals.applicants import applicant_profile_update

from .views import staff_refused


class ProfileView(LoginRequiredMixin, FormView):
    """A citizen's details, asked once and reused in every application."""

    form_class = ProfileForm
    template_name = "accounts/profile.html"
    success_url = reverse_lazy("accounts:profile")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_citizen:
            staff_refused(request)
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "identity_verified": self.request.user.identity_verified}

    def get_initial(self):
        user = self.request.user
        return {"full_name": user.full_name, "phone": user.phone, "id_number": user.id_number, "address": user.address}

    def form_valid(self, form):
        try:
            # A verified identity number is not on the form: it stays as it is.
            applicant_profile_update(user=self.request.user, **{"id_number": self.request.user.id_number,
                                                                **form.cleaned_data})
        except AccountError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Your details are saved."))
        return super().form_valid(form)

