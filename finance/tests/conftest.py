import pytest

from accounts.models import Role
from approvals.tests.test_payment_flow import order_for
from tests.client import PortalClient
from tests.factories import UserFactory


@pytest.fixture
def finance_user(db):
    return UserFactory(email="finance@example.gov", full_name="Sun Hua", role=Role.FINANCE)


@pytest.fixture
def finance_client(finance_user):
    client = PortalClient()
    client.force_login(finance_user)
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def new_order(submit):
    def make(amount="200.00", currency="CNY"):
        return order_for(submit(), amount=amount, currency=currency)
    return make

