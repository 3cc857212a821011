"""The public service description carries the service guide, in the request's language."""

import pytest
from django.core.management import call_command

from catalogue.models import GuideFile, Service
from catalogue.tests.conftest import DEMO
from departments.models import Department

from .conftest import Api

pytestmark = pytest.mark.django_db

HOURS = "Monday to Friday 9:00-12:00 and 13:30-17:00, closed on public holidays"


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_catalogue", str(DEMO), verbosity=0)


def test_the_guide_in_english(demo):
    guide = Api().get("/api/v1/services/fire-safety-check/").json()["guide"]

    plan = GuideFile.objects.get(service__slug="fire-safety-check", name="floor-plan-sample.pdf")
    assert guide == {
        "legal_basis": [
            {"title": "Fire Protection Law of the People's Republic of China, article 15",
             "link": "https://flk.npc.gov.cn/"},
            {"title": "Administrative Licensing Law of the People's Republic of China, article 42",
             "link": "https://flk.npc.gov.cn/"},
        ],
        "who_may_apply": "The business running premises open to the public.",
        "conditions": "Exits, extinguishers and alarms installed as the fire code requires; gas installations certified.",
        "materials": [
            {"name": "Floor plan of the premises, to scale", "specification": "copy", "copies": 1,
             "format": "PDF, A4 or A3, scale 1:100",
             "template": {"name": "floor-plan-sample.pdf", "content_type": "application/pdf", "size": plan.size,
                          "sha256": plan.sha256,
                          "url": "/services/fire-safety-check/guide/files/floor-plan-sample.pdf"}},
            {"name": "Fire escape plan", "specification": "copy", "copies": 1, "format": "PDF, A4", "template": None},
        ],
        "fee": "Free", "fee_terms": [], "statutory_days": 10, "promised_days": 5,
        "offices": [{"department": "fire", "name": "Fire and Rescue Department",
                     "address": "Fire and Rescue Station, 18 Riverside Road", "opening_hours": HOURS,
                     "phone": "+86 10 1234 5603"}],
        "faq": [
            {"question": "Do I have to go to every department?",
             "answer": "No. You apply once on the portal; every department reviews the same application. Go in person "
                       "only if a department asks you to show an original."},
            {"question": "How do I follow my application?",
             "answer": "Sign in and open My applications, or enter the reference and check code printed on your "
                       "receipt at the progress page, without signing in."},
            {"question": "What if a department asks for a correction?",
             "answer": "You are told by email and on your application page what to correct; the clock stops until "
                       "you send the correction."},
        ],
        "missing": [],
    }


def test_the_guide_in_chinese_says_what_is_missing(demo):
    service = Service.objects.get(slug="fire-safety-check")
    guide = service.guide
    guide["who_may_apply"] = {"en": guide["who_may_apply"]["en"]}
    del guide["statutory_days"]
    Service.objects.filter(pk=service.pk).update(guide=guide)
    Department.objects.filter(code="fire").update(opening_hours={"en": HOURS})

    guide = Api().get("/api/v1/services/fire-safety-check/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["guide"]

    assert guide["legal_basis"][0] == {"title": "《中华人民共和国消防法》第十五条", "link": "https://flk.npc.gov.cn/"}
    assert guide["who_may_apply"] == "The business running premises open to the public."  # English until written
    assert (guide["statutory_days"], guide["promised_days"]) == (None, 5)
    assert guide["offices"][0]["address"] == "滨河路18号消防救援站"
    assert guide["missing"] == ["申请对象", "法定办结时限", "办公时间"]
