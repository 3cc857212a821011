"""The review page in the officer's words: the identity the department's requirement lists and the
form asked for, and a history without codes."""

import re

import pytest
from django.urls import reverse

from approvals import workflow
from tests.factories import officer

pytestmark = pytest.mark.django_db


def identity(html: str) -> list[tuple[str, str]]:
    block = html.split('<dl class="row" id="identity">', 1)[1].split("</dl>", 1)[0]
    return re.findall(r"<dt[^>]*>(.*?)</dt><dd[^>]*>(.*?)</dd>", block, re.S)


def history(html: str) -> list[str]:
    block = html.split('id="history-events">', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li><time[^>]*>[^<]*</time> · (.*?)</li>", block, re.S)
    return [" ".join(item.split()) for item in items]


def test_identity_lists_only_what_the_form_asked(client, application, officers):
    review = application.reviews.get(department__code="tax")
    client.force_login(officers["tax"])
    html = client.get(reverse("departments:review", args=[review.pk])).content.decode()
    # Tax's requirement lists the whole identity, but the restaurant form asks for neither a phone
    # nor an identity document: no rows for them.
    assert identity(html) == [("Name", "Wang Fang"), ("Email", "wang.fang@example.org")]
    assert "110101199001011234" not in html and "+86 138 0000 0000" not in html


def test_identity_includes_what_the_form_asks(client, identity_application):
    review = identity_application.reviews.select_related("department").get(department__code="tax")
    tax = officer(review.department)
    client.force_login(tax)
    html = client.get(reverse("departments:review", args=[review.pk])).content.decode()
    assert identity(html) == [("Name", "Wang Fang"), ("Email", "wang.fang@example.org"),
                              ("Phone", "+86 138 0000 0000"), ("Identity document number", "110101199001011234")]
    html = client.get(reverse("departments:review", args=[review.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert [label for label, _value in identity(html)] == ["姓名", "电子邮箱", "电话", "身份证件号码"]


def _history_page(client, application, officers, language="en"):
    health = application.reviews.get(department__code="health")
    tax = application.reviews.get(department__code="tax")
    workflow.review_decide(review_id=tax.pk, actor=officers["tax"], decision="approve")
    client.force_login(officers["health"])
    client.get(reverse("departments:review", args=[health.pk]))
    attachment = application.attachments.get()
    client.get(reverse("departments:attachment", args=[health.pk, attachment.pk]))
    return client.get(reverse("departments:review", args=[health.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_history_in_words_in_english(client, application, officers):
    officer = officers["health"].full_name
    assert history(_history_page(client, application, officers)) == [
        "Application started · Applicant", "Application submitted · Applicant",
        "Review routed · Registration Bureau", "Review routed · Health Bureau", "Review routed · Tax Bureau",
        "Review approved · Tax Bureau",  # another department's officer is not named
        # The page opened again within the minute is the same visit (audit.services.access_record).
        f"Viewed to review · Health Bureau · {officer}", f"Downloaded a file · Health Bureau · {officer}",
    ]


def test_history_in_words_in_chinese(client, application, officers):
    officer = officers["health"].full_name
    assert history(_history_page(client, application, officers, "zh-hans")) == [
        "申请已创建 · 申请人", "申请已提交 · 申请人",
        "办件已分派 · registration局", "办件已分派 · health局", "办件已分派 · tax局",  # the factory's department names
        "审批通过 · tax局",
        f"为审查而查看 · health局 · {officer}", f"下载了文件 · health局 · {officer}",
    ]
