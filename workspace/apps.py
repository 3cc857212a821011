from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The officer workspace: queues, review pages, shares for an opinion."""

    name = "workspace"
