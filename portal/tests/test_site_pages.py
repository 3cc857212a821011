"""The footer's pages: help, contact, privacy, accessibility, terms. Real text in both languages,
seeded by a migration and edited by the administrator in the admin."""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from portal.models import SitePage

pytestmark = pytest.mark.django_db

# url: (English h1, a sentence of the English text, Chinese h1, a sentence of the Chinese text)
PAGES = {
    "/help/": ("Help", "This portal lets you apply for a government service <strong>once</strong>",
               "帮助", "本门户让您只需申请<strong>一次</strong>"),
    "/contact/": ("Contact", "The service desk answers questions about using the portal",
                  "联系我们", "服务台解答有关门户使用、账户以及申请进度的问题。"),
    "/privacy/": ("Privacy notice", '<strong>You can see who viewed your data</strong>, when and why, on the '
                  '<a href="/applications/who-viewed-my-data/">Who viewed my data</a> page',
                  "隐私声明", '<a href="/applications/who-viewed-my-data/">谁查看了我的信息</a>'),
    "/accessibility/": ("Accessibility statement", "<strong>Web Content Accessibility Guidelines (WCAG) 2.1, level AA</strong>",
                        "无障碍声明", "本门户以符合 <strong>WCAG 2.1 AA 级</strong>（《Web 内容无障碍指南》）为目标。"),
    "/terms/": ("Terms of use", "By using the one-stop portal you accept these terms.",
                "使用条款", "使用一站式门户即表示您接受以下条款。"),
}


def h1(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()


@pytest.mark.parametrize("url", sorted(PAGES))
def test_page_in_english_and_chinese(client, url):
    title_en, text_en, title_zh, text_zh = PAGES[url]
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert h1(html) == title_en
    assert text_en in html
    assert f"<title>{title_en} · One-stop portal</title>" in html
    client.cookies["django_language"] = "zh-hans"
    html = client.get(url).content.decode()
    assert h1(html) == title_zh
    assert text_zh in html


def test_footer_links_every_page(client):
    html = client.get("/").content.decode()
    footer = html[html.index("<footer"):]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', footer) == [
        ("/help/", "Help"), ("/contact/", "Contact"), ("/complaints/public/", "Make a complaint"),
        ("/privacy/", "Privacy notice"),
        ("/accessibility/", "Accessibility statement"), ("/terms/", "Terms of use"),
        ("/performance/", "How departments and services perform"),
    ]


def test_markdown_is_rendered_and_html_is_shown_as_text(client):
    SitePage.objects.filter(slug="terms").update(
        body_en="## Rules\n\n- one\n\n<script>alert(1)</script> [bad](javascript:alert(1)) [ok](/help/)")
    html = client.get("/terms/").content.decode()
    assert "<h2>Rules</h2>\n<ul>\n<li>one</li>\n</ul>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert '<a href="/help/">ok</a>' in html


def test_admin_edit_shows_on_the_page(client):
    admin = User.objects.create_superuser(email="root@example.gov", password="x-very-secret-1")
    client.force_login(admin)
    page = SitePage.objects.get(slug="contact")
    url = reverse("admin:portal_sitepage_change", args=[page.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {
        "title_en": "Contact us", "body_en": "Call **12345** any day.",
        "title_zh_hans": "联系", "body_zh_hans": "请拨打 **12345**。",
    })
    assert response.status_code == 302
    client.logout()
    html = client.get("/contact/").content.decode()
    assert h1(html) == "Contact us"
    assert "<p>Call <strong>12345</strong> any day.</p>" in html
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/contact/").content.decode()
    assert h1(html) == "联系"
    assert "<p>请拨打 <strong>12345</strong>。</p>" in html


def test_admin_cannot_add_or_delete_pages(client):
    admin = User.objects.create_superuser(email="root@example.gov", password="x-very-secret-1")
    client.force_login(admin)
    assert client.get(reverse("admin:portal_sitepage_add")).status_code == 403
    page = SitePage.objects.get(slug="help")
    assert client.get(reverse("admin:portal_sitepage_delete", args=[page.pk])).status_code == 403


def test_a_missing_page_is_a_404(client):
    SitePage.objects.filter(slug="help").delete()
    assert client.get("/help/").status_code == 404
