from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DepartmentsConfig(AppConfig):
    name = "departments"
    verbose_name = _("Departments")

    def ready(self):
        from .audit_names import register  # reads models: importable once the registry is ready

        register()  # how the audit log names this app's objects
