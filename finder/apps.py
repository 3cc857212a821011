from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinderConfig(AppConfig):
    name = "finder"
    verbose_name = _("Permit finder")

    def ready(self):
        # The catalogue loader reads and writes the ``finders:`` section through this app.
        from catalogue.loading.sections import Section, section_register

        from .loading import finders_apply, finders_check, finders_dump

        section_register(Section("finders", check=finders_check, apply=finders_apply, dump=finders_dump))
