"""The site's own pages (help, contact, privacy, accessibility, terms), edited in the admin."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

MARKDOWN_HELP = _("Markdown: ## heading, - list item, [link](/path/). HTML is shown as text.")


class SitePage(models.Model):
    class Slug(models.TextChoices):
        HELP = "help", _("Help")
        CONTACT = "contact", _("Contact")
        PRIVACY = "privacy", _("Privacy notice")
        ACCESSIBILITY = "accessibility", _("Accessibility statement")
        TERMS = "terms", _("Terms of use")

    slug = models.CharField(_("page"), max_length=20, choices=Slug.choices, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh_hans = models.CharField(_("title (Simplified Chinese)"), max_length=200)
    body_en = models.TextField(_("text (English)"), help_text=MARKDOWN_HELP)
    body_zh_hans = models.TextField(_("text (Simplified Chinese)"), help_text=MARKDOWN_HELP)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)

    class Meta:
        verbose_name = _("site page")
        verbose_name_plural = _("site pages")
        ordering = ["slug"]

    def __str__(self):
        return self.get_slug_display()

    @property
    def _chinese(self) -> bool:
        return (get_language() or "").lower().startswith("zh")

    @property
    def title(self) -> str:
        return self.title_zh_hans if self._chinese and self.title_zh_hans else self.title_en

    @property
    def body(self) -> str:
        return self.body_zh_hans if self._chinese and self.body_zh_hans else self.body_en
