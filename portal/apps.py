from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from accounts import events  # the project joins the layers' siblings here, once
        from audit.services import account_event_write

        from . import auth_audit

        events.connect(account_event_write)
        auth_audit.connect()  # sign-in, sign-out and password events into the audit log
