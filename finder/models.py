"""A finder: a short questionnaire for a life event, defined in the catalogue, whose answers say
which of the services it considers apply (catalogue.applicability decides within each service)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.i18n import translated


class Finder(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.JSONField(_("title"))
    intro = models.JSONField(_("introduction"), default=dict, blank=True)
    life_event = models.JSONField(_("life event"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("finder")
        verbose_name_plural = _("finders")

    def __str__(self):
        return self.display_title

    @property
    def display_title(self) -> str:
        return translated(self.title) or self.slug


class FinderQuestion(models.Model):
    """A question of a finder: a field of the shared dictionary, so that its answer means the same
    in every service asking that field (and carries into an application). Only kinds that hold no
    personal data (the loader refuses the others), since the answers travel in a link."""

    finder = models.ForeignKey(Finder, on_delete=models.CASCADE, related_name="questions")
    field = models.ForeignKey("catalogue.Field", on_delete=models.PROTECT, related_name="+", verbose_name=_("field"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["finder", "field"], name="finder_question_unique_field")]
        verbose_name = _("finder question")
        verbose_name_plural = _("finder questions")

    def __str__(self):
        return f"{self.finder.slug}: {self.field.key}"


class FinderService(models.Model):
    """A service a finder considers: it applies when ``when`` (catalogue.conditions, on the finder's
    answers) holds, or always without one; ``because`` words why it applies ({"en": …})."""

    finder = models.ForeignKey(Finder, on_delete=models.CASCADE, related_name="considered")
    service = models.ForeignKey("catalogue.Service", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("service"))
    when = models.JSONField(_("applies when"), default=dict, blank=True)
    because = models.JSONField(_("why it applies"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["finder", "service"], name="finder_service_unique_service")]
        verbose_name = _("service considered")
        verbose_name_plural = _("services considered")

    def __str__(self):
        return f"{self.finder.slug}: {self.service.slug}"
