from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PermitsConfig(AppConfig):
    name = "permits"
    verbose_name = _("Permits")

    def ready(self):
        from .audit_names import register  # reads models: importable once the registry is ready

        register()  # how the audit log names this app's objects
