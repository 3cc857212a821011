"""The public verification page (the address printed on the permit) shows the conditions the departments attached to the permit,
and how long the permit is valid, in the visitor's language."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from approvals import workflow
from approvals.permit_flow import permit_render
from permits.models import Permit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_after_each_test():
    yield
    translation.activate(settings.LANGUAGE_CODE)  # a page in Chinese leaves its language active in the thread


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def page(client, permit, language="en"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("permits:verify_code", args=[permit.number, permit.verify_code]))
    assert response.status_code == 200
    return text(response)


def test_the_conditions_of_each_department_are_shown(client, issued_permit):
    shown = page(client, issued_permit)
    assert ("Conditions Health Bureau: Condition of health. Registration Bureau: Condition of registration. "
            "Tax Bureau: Condition of tax. Fire Bureau: Condition of fire.") in shown
    assert f"– {date_format(issued_permit.valid_until)} (valid for 3 years)" in shown


def test_the_conditions_in_chinese(client, issued_permit):
    shown = page(client, issued_permit, "zh-hans")
    assert ("附加条件 health局： Condition of health. registration局： Condition of registration. "  # a space per tag
            "tax局： Condition of tax. fire局： Condition of fire.") in shown
    assert "(有效期 3 年)" in shown


def issued(application, officers, conditions: dict) -> Permit:
    """Every department approves, with the given conditions by department code; the file is produced."""
    for stage in (1, 2):
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=officers[review.department.code], decision="approve",
                                   conditions=conditions.get(review.department.code, ""))
    permit = Permit.objects.get(application=application)
    assert permit_render(permit_id=permit.pk) == "rendered"
    return permit


def test_a_permit_without_conditions_says_so(client, submit, officers):
    permit = issued(submit(), officers, {})
    assert "Conditions None" in page(client, permit)
    assert "附加条件 无" in page(client, permit, "zh-hans")


def test_conditions_are_escaped(client, submit, officers):
    permit = issued(submit(), officers, {"tax": "<script>alert(1)</script>"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("permits:verify_code", args=[permit.number, permit.verify_code])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Conditions Tax Bureau: &lt;script&gt;" in " ".join(re.sub(r"<[^>]+>", " ", html).split())
