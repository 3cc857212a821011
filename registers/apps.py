from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistersConfig(AppConfig):
    name = "registers"
    verbose_name = _("Registers")

    def ready(self):
        from . import checks  # noqa: F401  (registers the register settings' checks)
