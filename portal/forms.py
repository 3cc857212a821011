from django import forms
from django.utils.translation import gettext_lazy as _

from catalogue.selectors import SEARCH_MAX_LENGTH


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search for a service"), max_length=SEARCH_MAX_LENGTH, strip=True,
        error_messages={
            "required": _("Enter what you want to do, for example “open a restaurant”."),
            "max_length": _("Enter %(limit_value)d characters or fewer."),
        },
    )

    def clean_q(self):
        value = self.cleaned_data["q"].replace("\x00", "")
        if not value.strip():
            raise forms.ValidationError(self.fields["q"].error_messages["required"], code="required")
        return value
