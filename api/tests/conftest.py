"""Tokens and a client that speaks the API, for the API's tests."""

import base64
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import TokenKind
from api.services import api_token_create
from departments.models import Department
from tests.factories import PDF_BYTES


class Api:
    """An APIClient holding one bearer token."""

    def __init__(self, token_clear: str | None = None):
        self.client = APIClient()
        if token_clear:
            self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_clear}")

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path, data=None, *, key=None, fmt="json", **kwargs):
        if key is not None:
            kwargs["HTTP_IDEMPOTENCY_KEY"] = key
        return self.client.post(path, data, format=fmt, **kwargs)

    def delete(self, path, **kwargs):
        return self.client.delete(path, **kwargs)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def department_token(code: str, name: str = ""):
    return api_token_create(kind=TokenKind.DEPARTMENT, name=name or f"{code} system",
                            department=Department.objects.get(code=code))


@pytest.fixture
def dept_api(restaurant):
    """{department code: (token, Api)} for each department of the restaurant service."""
    result = {}
    for code in ("registration", "health", "tax", "fire"):
        token, clear = department_token(code)
        result[code] = (token, Api(clear))
    return result


@pytest.fixture
def citizen_token(citizen):
    return api_token_create(kind=TokenKind.CITIZEN, name="my phone", user=citizen)


@pytest.fixture
def citizen_api(citizen_token):
    return Api(citizen_token[1])


@pytest.fixture
def desk_token(db):
    return api_token_create(kind=TokenKind.FRONT_DESK, name="counter 3")


def signed_consent(**changes) -> dict:
    """The consent a front desk sends with a filing: a scanned paper form signed ten minutes ago."""
    return {"method": "paper_scan", "signed_at": (timezone.now() - timedelta(minutes=10)).isoformat(),
            "officer_name": "Li Na", "officer_staff_number": "A1023",
            "document": {"name": "consent.pdf", "content": base64.b64encode(PDF_BYTES).decode()}, **changes}


class FakeDns:
    """Answers for ``api.webhook_targets.resolve``, the one place webhooks look up a host: each
    name has a list of answers, given in turn (the last one again and again); every question is
    kept in ``asked``. A name without answers is not found, as the real resolver would say."""

    def __init__(self):
        self.answers: dict[str, list[list[str]]] = {}
        self.asked: list[tuple[str, int]] = []

    def set(self, host: str, *answers: list[str]) -> None:
        self.answers[host] = list(answers)

    def __call__(self, host: str, port: int) -> list[str]:
        import socket

        self.asked.append((host, port))
        answers = self.answers.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDns()
    monkeypatch.setattr("api.webhook_targets.resolve", fake)
    return fake


def produced(permit):
    """The permit as if its file were produced (the holder's steps read only the row)."""
    from permits.models import Permit

    Permit.objects.filter(pk=permit.pk).update(rendered_at=permit.issued_at, file=f"permits/{permit.number}.pdf")
    permit.refresh_from_db()
    return permit


@pytest.fixture
def permit(submit, officers):
    """The citizen's approved restaurant permit, its file produced."""
    from permits.tests.conftest import approve_all

    return produced(approve_all(submit(), officers))


def desk_filed_permit(desk, citizen, restaurant, officers):
    """A permit of an application the front desk ``desk`` (an Api) filed for ``citizen``, produced;
    the caller sets MEDIA_ROOT."""
    from approvals import workflow
    from approvals.models import Application
    from permits.tests.conftest import approve_all
    from tests.engine_fixtures import pdf_upload
    from tests.factories import VALID_ANSWERS

    filed = desk.post("/api/v1/applications/", {"service": restaurant.slug, "applicant_email": citizen.email,
                                                "consent": signed_consent()})
    assert filed.status_code == 201, filed.json()
    application_id = filed.json()["id"]
    workflow.application_save_answers(application_id=application_id, actor=citizen, data=dict(VALID_ANSWERS))
    workflow.application_attach(application_id=application_id, actor=citizen, field_key="floor_plan",
                                uploaded=pdf_upload())
    workflow.application_submit(application_id=application_id, actor=citizen)
    return produced(approve_all(Application.objects.get(pk=application_id), officers))
