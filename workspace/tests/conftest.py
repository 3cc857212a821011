import pytest

from approvals import workflow


@pytest.fixture
def application(submit, citizen):
    """A routed application of a citizen whose profile has a phone and an identity document number."""
    citizen.phone, citizen.id_number = "+86 138 0000 0000", "110101199001011234"
    citizen.save(update_fields=["phone", "id_number"])
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    return application
