from django.db import models
from viewflow.workflow.models import Process


class Permit(models.Model):
    """The permit row the flow writes once every review is approved (UNIQUE process, as the
    portal's permit is unique per application)."""

    process = models.OneToOneField(Process, on_delete=models.CASCADE)
    number = models.CharField(max_length=20, unique=True)
    issued_at = models.DateTimeField(auto_now_add=True)
