"""Domain errors of the engine. Views and the API turn them into a message, never a 500."""

from django.utils.translation import gettext_lazy as _


class WorkflowError(Exception):
    default_message = _("This action is not possible.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class InvalidTransition(WorkflowError):
    default_message = _("This action is not possible in the application's current state.")


class NotAllowed(WorkflowError):
    default_message = _("You are not allowed to do this.")


class InvalidStatement(WorkflowError):
    """A bank statement that cannot be read: the message names the line or entry and the reason."""

    default_message = _("The file is not a bank statement this portal can read.")


class Conflict(WorkflowError):
    """The object changed under the actor (claimed or decided by someone else)."""

    default_message = _("Someone else changed this in the meantime. Reload the page to see its current state.")


class ValidationFailed(WorkflowError):
    default_message = _("Some answers need your attention.")

    def __init__(self, errors: dict, message=None):
        self.errors = errors  # {field key: [messages]}
        super().__init__(message)
