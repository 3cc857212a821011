from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development and benchmark tools: the demo (seed_demo), the synthetic history
    (generate_history) and the load simulator (simulate). Installed by the development and test
    settings only: production settings do not know these commands. No models."""

    name = "devtools"
