"""Catalogue files for the loader, dumper, versioning and admin tests."""

import io
import textwrap
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue.calendar import clear_calendar_cache
from catalogue.dumper import catalogue_dump
from catalogue.models import Field, Holiday, Requirement, Service, ServiceVersion, WorkCalendar
from departments.models import Department

DEMO = Path(__file__).resolve().parents[1] / "demo" / "catalogue.yaml"

# A small, complete catalogue: 3 departments, 5 fields, 3 services over 2 life events.
BASE = """\
calendar:
  workdays: [mon, tue, wed, thu, fri]
  holidays: [2026-10-01, 2026-10-02]
departments:
  - code: registration
    name: {en: Business Registration Office, zh-hans: 登记注册局}
    email: registration@example.gov
  - code: health
    name: {en: Public Health Bureau, zh-hans: 卫生健康局}
    email: health@example.gov
  - code: fire
    name: {en: Fire and Rescue, zh-hans: 消防救援}
fields:
  - key: business_name
    kind: text
    label: {en: Business name, zh-hans: 商户名称}
    help: {en: As it will appear on the permit}
    section: {en: Your business, zh-hans: 经营信息}
    required: true
    max_length: 120
  - key: cuisine
    kind: choice
    label: {en: Cuisine, zh-hans: 菜系}
    section: {en: Your business, zh-hans: 经营信息}
    choices:
      - {value: chinese, label: {en: Chinese, zh-hans: 中餐}}
      - {value: western, label: {en: Western, zh-hans: 西餐}}
  - key: seats
    kind: integer
    label: {en: Seats, zh-hans: 座位数}
    section: {en: Your business, zh-hans: 经营信息}
    required: true
    min: 1
    max: 500
  - key: opening_date
    kind: date
    label: {en: Opening date, zh-hans: 开业日期}
    section: {en: Your business, zh-hans: 经营信息}
    min: 2026-01-01
  - key: floor_plan
    kind: file
    label: {en: Floor plan, zh-hans: 平面图}
    section: {en: Documents, zh-hans: 材料}
    required: true
    accept: [application/pdf, image/png]
    max_size_mb: 10
services:
  - slug: open-a-restaurant
    name: {en: Open a restaurant, zh-hans: 开办餐饮店}
    life_event: {en: Starting a business, zh-hans: 企业开办}
    description: {en: Everything to open a restaurant., zh-hans: 开办餐饮店的全部手续。}
    fee: {en: Free, zh-hans: 免费}
    permit: {title: {en: Restaurant operating permit, zh-hans: 餐饮经营许可证}, valid_days: 1095}
    reviews:
      - {department: registration, stage: 1, sla_days: 3, fields: [business_name, cuisine]}
      - {department: health, stage: 1, sla_days: 5, fields: [business_name, seats, floor_plan]}
      - {department: fire, stage: 2, sla_days: 5, fields: [floor_plan, seats]}
  - slug: open-a-cafe
    name: {en: Open a cafe, zh-hans: 开办咖啡馆}
    life_event: {en: Starting a business, zh-hans: 企业开办}
    permit: {title: {en: Cafe permit, zh-hans: 咖啡馆许可证}, valid_days: 365}
    reviews:
      - {department: health, stage: 1, sla_days: 4, fields: [business_name, seats]}
  - slug: extend-opening-hours
    name: {en: Extend opening hours, zh-hans: 延长营业时间}
    life_event: {en: Running a business, zh-hans: 企业经营}
    permit: {title: {en: Late opening permit, zh-hans: 延时营业许可}, valid_days: 365}
    reviews:
      - {department: registration, stage: 1, sla_days: 2, fields: [business_name, opening_date]}
"""

MODELS = {
    "departments": Department,
    "fields": Field,
    "services": Service,
    "requirements": Requirement,
    "versions": ServiceVersion,
    "holidays": Holiday,
    "calendars": WorkCalendar,
}


def counts() -> dict[str, int]:
    return {name: model.objects.count() for name, model in MODELS.items()}


def state() -> tuple[dict, str, list]:
    """Everything a load could change: row counts, the whole catalogue and every version."""
    versions = list(ServiceVersion.objects.order_by("service__slug", "number").values_list("service__slug", "number", "schema"))
    return counts(), catalogue_dump(), versions


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    clear_calendar_cache()
    yield
    clear_calendar_cache()


@pytest.fixture
def write(tmp_path):
    """write("name.yaml", text) -> the path of a new catalogue file under tmp_path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def load(db):
    """load(*paths) -> the command's standard output; fails the test if the command fails or
    writes anything but warnings (a guide not yet complete: tests/test_guides.py reads them)."""

    def _load(*paths) -> str:
        out, err = io.StringIO(), io.StringIO()
        call_command("load_catalogue", *map(str, paths), stdout=out, stderr=err)
        assert all(line.startswith("warning: ") for line in err.getvalue().splitlines()), err.getvalue()
        return out.getvalue()

    return _load


@pytest.fixture
def load_errors(db):
    """load_errors(*paths) -> the error lines of a load that must fail."""

    def _load_errors(*paths) -> list[str]:
        out, err = io.StringIO(), io.StringIO()
        with pytest.raises(CommandError) as excinfo:
            call_command("load_catalogue", *map(str, paths), stdout=out, stderr=err)
        lines = err.getvalue().splitlines()
        count = len(lines)
        assert str(excinfo.value) == f"{count} error{'s' if count != 1 else ''} in the catalogue; nothing was changed."
        assert out.getvalue() == ""
        return lines

    return _load_errors


@pytest.fixture
def base(write, load):
    """The BASE catalogue, loaded; returns its path."""
    path = write("base.yaml", BASE)
    load(path)
    return path


@pytest.fixture
def admin_client(client):
    """A client signed in as a superuser, for the admin's pages."""
    user = get_user_model().objects.create_superuser(email="admin@example.gov", password="correct-horse-battery")
    client.force_login(user)
    return client
