"""Every table page puts its tables in a box that scrolls sideways (.table-responsive), so no
column is cut off; static/js/portal.js makes a box that scrolls a labelled keyboard stop."""

import re

import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("seed_demo", stdout=open("/dev/null", "w"))


@pytest.mark.parametrize("email, url", [
    ("admin@demo.example.gov", "/dashboards/"),
    ("admin@demo.example.gov", "/dashboards/scorecard/"),
    ("admin@demo.example.gov", "/dashboards/bottlenecks/"),
    ("admin@demo.example.gov", "/audit/"),
    ("admin@demo.example.gov", "/permits/manage/"),
    ("supervisor.health@demo.example.gov", "/officer/"),
    ("wang.fang@demo.example.org", "/applications/who-viewed-my-data/"),
    ("wang.fang@demo.example.org", "/services/open-a-restaurant/"),
])
def test_every_table_scrolls_in_its_own_box(client, demo, email, url):
    client.force_login(User.objects.get(email=email))
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    tables = html.count("<table")
    assert tables >= 1, url
    boxed = len(re.findall(r'<div class="table-responsive[^"]*">\s*<table', html))
    assert boxed == tables, url
