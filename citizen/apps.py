from django.apps import AppConfig


class CitizenConfig(AppConfig):
    """The citizen's pages: starting, filling, checking and following an application."""

    name = "citizen"
