"""A page of the combined form as the citizen sees it: optional questions marked, date hints in
the page's language, every refused file reported and nothing of a refused page kept."""

import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals import workflow
from approvals.models import Attachment
from catalogue.models import Field
from catalogue.schema import service_publish
from tests.factories import PDF_BYTES, restaurant_service

pytestmark = pytest.mark.django_db

FIELDS = [
    ("business_name", "text", "business", True, {"max_length": 120}),
    ("seats", "integer", "business", True, {"min": 1}),
    ("opening_date", "date", "business", False, {"min": "today", "max": "today+365d"}),
    ("floor_plan", "file", "documents", True, {"accept": ["application/pdf", "image/png"], "max_size_mb": 1}),
    ("fire_escape_plan", "file", "documents", True, {"accept": ["application/pdf"], "max_size_mb": 1}),
    ("lease", "file", "documents", False, {"accept": ["application/pdf"], "max_size_mb": 1}),
]
REVIEWS = [("health", 1, 5, [f[0] for f in FIELDS])]


@pytest.fixture
def draft(db, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    service = restaurant_service(slug="open-a-shop", fields=FIELDS, reviews=REVIEWS)
    return workflow.application_start(applicant=citizen, service=service)


def page(client, application, step, data=None, language="en"):
    url = reverse("approvals:edit", args=[application.pk, step])
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    if data is None:
        return client.get(url, **headers)
    return client.post(url, data, **headers)


def pdf(name):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def not_a_pdf(name):
    return SimpleUploadedFile(name, b"MZ\x90\x00 a program", content_type="application/pdf")


def summary_items(html: str) -> list[str]:
    summary = html.split('class="alert alert-danger error-summary"', 1)[1].split("</div>", 1)[0]
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li><a [^>]*>(.*?)</a></li>", summary, re.S)]


def label_of(html: str, key: str) -> str:
    return re.search(rf'<label\s+for="id_{key}"[^>]*>(.*?)</label>', html, re.S).group(1).strip()


# --- Required and optional ------------------------------------------------------------------------------


def test_optional_questions_say_so_and_required_ones_are_marked(client, citizen, draft):
    client.force_login(citizen)
    html = page(client, draft, 1).content.decode()
    assert label_of(html, "opening_date") == "Opening date (optional)"
    assert label_of(html, "business_name") == "Business name"
    assert re.search(r'<input[^>]*name="business_name"[^>]*aria-required="true"', html)
    assert re.search(r'<input[^>]*name="seats"[^>]*aria-required="true"', html)
    assert not re.search(r'<input[^>]*name="opening_date"[^>]*aria-required', html)
    html = page(client, draft, 2).content.decode()
    assert label_of(html, "lease") == "Lease (optional)"
    assert label_of(html, "floor_plan") == "Floor plan"
    assert re.search(r'<input[^>]*name="floor_plan"[^>]*aria-required="true"', html)


def test_optional_marking_in_chinese(client, citizen, draft):
    client.force_login(citizen)
    html = page(client, draft, 1, language="zh-hans").content.decode()
    assert label_of(html, "opening_date") == "opening_date（选填）"
    assert label_of(html, "business_name") == "business_name"


# --- Dates ----------------------------------------------------------------------------------------------


def test_date_hint_is_under_the_label_and_describes_the_input(client, citizen, draft):
    client.force_login(citizen)
    html = page(client, draft, 1).content.decode()
    block = html.split('id="div_id_opening_date"', 1)[1].split("</div>\n  </div>", 1)[0]
    label, hint, field = block.index("<label"), block.index('id="id_opening_date_helptext"'), block.index("<input")
    assert label < hint < field
    assert "Type the date as DD/MM/YYYY, for example 27/03/2026." in block
    assert re.search(r'<input[^>]*type="text"[^>]*aria-describedby="id_opening_date_helptext"', block)


@time_machine.travel("2026-12-06 10:00 +08:00", tick=False)
def test_a_typed_date_in_the_shown_format_is_saved_and_shown_back(client, citizen, draft):
    client.force_login(citizen)
    response = page(client, draft, 1, {"business_name": "Corner shop", "seats": "4", "opening_date": "24/12/2026"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.answers["opening_date"] == "2026-12-24"
    assert 'value="24/12/2026"' in page(client, draft, 1).content.decode()
    response = page(client, draft, 1, {"business_name": "Corner shop", "seats": "4", "opening_date": "2026年12月25日"},
                    language="zh-hans")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.answers["opening_date"] == "2026-12-25"
    assert 'value="2026-12-25"' in page(client, draft, 1, language="zh-hans").content.decode()


@time_machine.travel("2026-12-06 10:00 +08:00", tick=False)
def test_a_past_date_is_refused_with_a_message_at_the_field_and_in_the_summary(client, citizen, draft):
    client.force_login(citizen)
    response = page(client, draft, 1, {"business_name": "Corner shop", "seats": "0", "opening_date": "05/12/2026"})
    assert response.status_code == 400
    html = response.content.decode()
    assert summary_items(html) == [
        "Enter the seats of 1 or more.",
        "Enter the opening date as a date on or after 6 Dec 2026.",
    ]
    assert re.search(r'id="error_1_id_opening_date"[^>]*><strong>Enter the opening date as a date on or after '
                     r"6 Dec 2026.</strong>", html)
    assert re.search(r'<input[^>]*aria-describedby="id_opening_date_helptext error_1_id_opening_date"', html)
    draft.refresh_from_db()
    assert draft.answers == {}


# --- Files ----------------------------------------------------------------------------------------------


def test_every_refused_file_is_reported_and_nothing_is_kept(client, citizen, draft):
    client.force_login(citizen)
    response = page(client, draft, 2, {"floor_plan": not_a_pdf("plan.pdf"), "fire_escape_plan": not_a_pdf("escape.pdf"),
                                       "lease": pdf("lease.pdf")})
    assert response.status_code == 400
    html = response.content.decode()
    assert summary_items(html) == [
        "Upload the floor plan as a PDF or PNG file.",
        "Upload the fire escape plan as a PDF file.",
    ]
    assert "Nothing on this page was saved, not even the files that were accepted." in html
    assert 'id="error_1_id_floor_plan"' in html and 'id="error_1_id_fire_escape_plan"' in html
    assert not Attachment.objects.filter(application=draft).exists()


def test_files_are_checked_even_when_an_answer_on_the_page_is_wrong(client, citizen, draft):
    client.force_login(citizen)
    response = page(client, draft, 1, {"business_name": "x" * 121, "seats": "4", "opening_date": ""})
    assert summary_items(response.content.decode()) == ["Enter the business name in 120 characters or fewer."]
    draft.refresh_from_db()
    assert draft.answers == {}


def test_a_page_with_only_good_files_keeps_them_all(client, citizen, draft):
    client.force_login(citizen)
    response = page(client, draft, 2, {"floor_plan": pdf("plan.pdf"), "fire_escape_plan": pdf("escape.pdf")})
    assert response.status_code == 302
    assert sorted(Attachment.objects.filter(application=draft).values_list("field_key", "original_name")) == [
        ("fire_escape_plan", "escape.pdf"), ("floor_plan", "plan.pdf")]


def test_several_files_for_one_question_each_named(client, citizen, draft):
    client.force_login(citizen)
    response = page(client, draft, 2, {"floor_plan": [not_a_pdf("a.pdf"), pdf("b.pdf"), not_a_pdf("c.pdf")]})
    assert summary_items(response.content.decode()) == [
        "“a.pdf”: Upload the floor plan as a PDF or PNG file.",
        "“c.pdf”: Upload the floor plan as a PDF or PNG file.",
    ]
    assert not Attachment.objects.filter(application=draft).exists()


def test_check_page_lists_each_missing_answer_once_in_plain_words(client, citizen, draft):
    client.force_login(citizen)
    response = client.post(reverse("approvals:check", args=[draft.pk]), {"declaration": "yes"})
    assert response.status_code == 400
    assert summary_items(response.content.decode()) == [
        "Enter the business name.", "Enter the seats.", "Upload the floor plan.", "Upload the fire escape plan.",
    ]


# --- Help text an administrator wrote --------------------------------------------------------------------

HOSTILE_HELP = {
    "business_name": '<script>alert("help")</script>As on the licence',
    "seats": "<img src=x onerror=alert(1)>",
    "opening_date": '<b onmouseover="alert(2)">when</b>',
    "floor_plan": '<script src="https://evil.example/x.js"></script>',
}


def helptext(html: str, key: str) -> str:
    return re.search(rf'id="id_{key}_helptext"[^>]*>(.*?)</(?:div|span)>', html, re.S).group(1).strip()


def test_catalogue_help_text_is_shown_as_text_never_as_markup(client, citizen, settings, tmp_path):
    """Help text comes from the catalogue (an administrator types it): the form shows it as words,
    through crispy's templates and the date question's own layout alike."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    service = restaurant_service(slug="open-a-shop", fields=FIELDS, reviews=REVIEWS)
    for key, text in HOSTILE_HELP.items():
        Field.objects.filter(key=key).update(help={"en": text, "zh-hans": text})
    Field.objects.filter(key="seats").update(label={"en": "<i onclick=alert(3)>Seats</i>", "zh-hans": "座位"})
    service_publish(service=service)
    service.refresh_from_db()
    draft = workflow.application_start(applicant=citizen, service=service)
    client.force_login(citizen)

    business = page(client, draft, 1).content.decode()
    documents = page(client, draft, 2).content.decode()

    assert helptext(business, "business_name") == "&lt;script&gt;alert(&quot;help&quot;)&lt;/script&gt;As on the licence"
    assert helptext(business, "seats") == "&lt;img src=x onerror=alert(1)&gt;"
    assert label_of(business, "seats") == "&lt;i onclick=alert(3)&gt;Seats&lt;/i&gt;"
    assert helptext(business, "opening_date") == (
        "&lt;b onmouseover=&quot;alert(2)&quot;&gt;when&lt;/b&gt; Type the date as DD/MM/YYYY, for example 27/03/2026.")
    assert helptext(documents, "floor_plan") == (
        "&lt;script src=&quot;https://evil.example/x.js&quot;&gt;&lt;/script&gt; PDF or PNG, up to 1 MB.")
    for html in (business, documents):
        assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html
        assert "<i onclick" not in html
        assert 'src="https://evil.example' not in html
