from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from . import auth_audit

        auth_audit.connect()  # sign-in, sign-out and password events into the audit log
