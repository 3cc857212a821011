"""A service's guide on its page, in both languages; its printable version; its template files."""

import hashlib
import re

import pytest
from django.core.management import call_command

from catalogue.models import GuideFile, Service
from catalogue.tests.conftest import DEMO
from departments.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_catalogue", str(DEMO), verbosity=0)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def section(html: str, start: str, end: str) -> str:
    return html[html.index(start):html.index(end, html.index(start))]


def headings(html: str, level: int) -> list[str]:
    return [text(h) for h in re.findall(rf"<h{level}[^>]*>(.*?)</h{level}>", html, re.S)]


def test_the_guide_is_on_the_service_page_in_english(client, demo):
    html = client.get("/services/open-a-restaurant/").content.decode()

    guide = section(html, '<section class="service-guide"', "</section>")
    assert headings(guide, 2) == ["Service guide"]
    assert headings(guide, 3) == ["Legal basis", "Who may apply", "Conditions", "Materials to bring",
                                  "Fees and time limits", "Departments involved and where to go in person",
                                  "Frequently asked questions"]
    assert headings(guide, 4) == ["Market Regulation Administration (Business Registration)", "Public Health Bureau",
                                  "Taxation Bureau", "Fire and Rescue Department"]
    assert "guide-incomplete" not in guide
    assert '<a href="https://flk.npc.gov.cn/" rel="noopener noreferrer">Food Safety Law of the People&#x27;s ' \
           'Republic of China, articles 35 to 37</a>' in guide
    table = section(guide, '<table class="table guide-materials">', "</table>")
    assert text(section(table, "<caption>", "</caption>")) == (
        "Materials for “Open a restaurant”: whether the original or a copy, how many and in what form; a template or "
        "sample where there is one")
    rows = [[text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", section(table, "<tbody>", "</tbody>"), re.S)]
    assert rows == [
        ["Identity document of the legal representative", "Original", "1",
         "Shown at the counter, or verified by the national e-ID online", "—"],
        ["Lease contract or proof of ownership of the premises", "Copy", "1", "PDF or photo, A4", "—"],
        ["Declaration on the use of leased premises", "Original", "1", "DOCX form, signed by both parties",
         "Download lease-declaration-form.docx (1.3 KB)"],
        ["Floor plan of the premises, to scale", "Copy", "1", "PDF, A4 or A3, scale 1:100",
         "Download floor-plan-sample.pdf (89.2 KB)"],
        ["Fire escape plan", "Copy", "1", "PDF, A4", "—"],
    ]
    assert '<a href="/services/open-a-restaurant/guide/files/floor-plan-sample.pdf" download>' in table
    limits = text(section(guide, '<dl class="row guide-limits">', "</dl>"))
    assert limits == "Fee Free Statutory time limit 20 working days Promised time limit 10 working days"
    office = text(section(guide, '<dl class="row guide-office">', "</dl>"))
    assert office == ("Address Government Service Centre, 1 Civic Square, counters 1-6 Opening hours Monday to Friday "
                      "9:00-12:00 and 13:30-17:00, closed on public holidays Phone +86 10 1234 5601")
    assert '<a href="tel:+861012345601">' in guide
    assert text(section(guide, '<dl class="guide-faq">', "</dl>")).startswith(
        "Do I have to go to every department? No. You apply once on the portal;")
    assert '<a href="/services/open-a-restaurant/guide/print/">Printable version of the guide</a>' in html


def test_the_guide_in_chinese(client, demo):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get("/services/open-a-restaurant/").content.decode()

    guide = section(html, '<section class="service-guide"', "</section>")
    assert headings(guide, 2) == ["办事指南"]
    assert headings(guide, 3) == ["设定依据", "申请对象", "办理条件", "申请材料", "收费与办理时限",
                                  "涉及部门及办理地点", "常见问题"]
    assert "《中华人民共和国食品安全法》第三十五条至第三十七条" in guide
    assert "经营场所平面图（按比例）" in guide
    assert "法定办结时限 20 个工作日" in text(guide)
    assert "承诺办结时限 10 个工作日" in text(guide)
    assert "政务服务中心（市民广场1号）1-6号窗口" in guide
    assert "Food Safety" not in guide
    assert "guide-incomplete" not in guide


def test_an_incomplete_guide_says_what_is_not_yet_published(client, demo):
    restaurant = Service.objects.get(slug="open-a-restaurant")
    guide = restaurant.guide
    guide["who_may_apply"] = {"en": guide["who_may_apply"]["en"]}
    del guide["faq"]
    Service.objects.filter(pk=restaurant.pk).update(guide=guide)
    Department.objects.filter(code="fire").update(phone="")

    english = client.get("/services/open-a-restaurant/").content.decode()
    notice = section(english, '<div class="alert alert-warning guide-incomplete"', "</div>")
    assert text(notice) == ("This guide is not yet complete in English. Not yet published: the frequently asked "
                            "questions phone number")

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    chinese = client.get("/services/open-a-restaurant/").content.decode()
    notice = section(chinese, '<div class="alert alert-warning guide-incomplete"', "</div>")
    assert text(notice) == "本指南的简体中文版尚未完整。 尚未公布： 申请对象 常见问题 电话号码"


def test_the_printable_guide(client, demo):
    response = client.get("/services/fire-safety-check/guide/print/")

    assert response.status_code == 200
    html = response.content.decode()
    assert headings(html, 1) == ["Fire safety check"]
    assert '<link rel="stylesheet" href="/static/portal/guide.css">' in html
    assert '<section class="service-guide"' in html
    assert "approvals:start" not in html and 'action="/applications/start/' not in html
    assert "Printed from http://testserver/services/fire-safety-check/guide/print/" in text(html)


def test_a_template_downloads_as_an_attachment_of_its_type(client, demo):
    response = client.get("/services/open-a-restaurant/guide/files/floor-plan-sample.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="floor-plan-sample.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == GuideFile.objects.get(
        service__slug="open-a-restaurant", name="floor-plan-sample.pdf").sha256
    docx = client.get("/services/open-a-retail-shop/guide/files/lease-declaration-form.docx")
    assert docx["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize("url", [
    "/services/open-a-restaurant/guide/files/nothing.pdf",
    "/services/open-a-restaurant/guide/files/..%2F..%2Fsettings.py",
    "/services/host-a-public-event/guide/files/lease-declaration-form.docx",  # that guide has none
    "/services/no-such-service/guide/files/floor-plan-sample.pdf",
    "/services/no-such-service/guide/print/",
    "/services/no-such-service/",
])
def test_unknown_services_and_files_answer_404(client, demo, url):
    assert client.get(url).status_code == 404


def test_a_closed_service_has_no_guide_files(client, demo):
    Service.objects.filter(slug="open-a-restaurant").update(is_active=False)
    assert client.get("/services/open-a-restaurant/guide/files/floor-plan-sample.pdf").status_code == 404
