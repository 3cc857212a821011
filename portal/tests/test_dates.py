"""One date format per language: the same moment reads the same on every page."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 3, 5, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
SHOWN = {"en": ("5 Mar 2026, 10:30", "5 Mar 2026"), "zh-hans": ("2026年3月5日 10:30", "2026年3月5日")}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_same_date_reads_the_same_on_every_page(client, submit, citizen, time_machine, language):
    time_machine.move_to(MOMENT, tick=False)
    application = submit()
    client.force_login(citizen)
    client.cookies["django_language"] = language
    with_time, date_only = SHOWN[language]
    pages = {
        "my applications": "/applications/",
        "application": f"/applications/{application.pk}/",
        "notifications": "/applications/notifications/",
    }
    for name, url in pages.items():
        html = client.get(url).content.decode()
        assert with_time in html, name
        assert "2026-03-05" not in html.replace('datetime="2026-03-05', ""), name
    html = client.get(pages["application"]).content.decode()
    assert f"<dd>{date_only}</dd>" in html  # "Started": the date alone, in the same format
