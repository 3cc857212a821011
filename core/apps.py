from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Infrastructure every app uses: domain errors, nudges, stored translations, form helpers,
    working days and PDF rendering. No models, nothing in the admin; it imports only Django and
    libraries."""

    name = "core"
