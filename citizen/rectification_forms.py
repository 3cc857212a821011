"""The applicant's rating of the service after a department's rectification: the same scale and
comment as the first rating, one form per case on the application page."""

from django.utils.translation import gettext_lazy as _

from .forms import RatingForm


class FollowUpForm(RatingForm):
    def __init__(self, *args, case_id: int, **kwargs):
        super().__init__(*args, prefix=f"rectification-{case_id}", **kwargs)
        self.fields["score"].label = _("Now that the department has answered, how satisfied are you with the service?")
        self.helper.inputs[0].value = _("Send your rating")
