"""Bundles in catalogue files: loaded, checked at their paths, dumped back."""

import pytest

from catalogue.dumper import catalogue_dump
from catalogue.loading.reader import CatalogueInvalid, catalogue_parse
from catalogue.models import Bundle

from .conftest import BASE

pytestmark = pytest.mark.django_db
BUNDLE = """\
bundles:
  - slug: start-a-food-business
    name: {en: Start a food business, zh-hans: 开办餐饮企业}
    life_event: {en: Starting a business, zh-hans: 企业开办}
    services:
      - {service: open-a-restaurant}
      - {service: extend-opening-hours, when: {seats: {gt: 20}}, depends_on: [open-a-restaurant]}
"""


def problems(write, text):
    with pytest.raises(CatalogueInvalid) as excinfo:
        catalogue_parse(paths=[write("base.yaml", BASE), write("bundle.yaml", text)])
    return [(p.path, p.message) for p in excinfo.value.problems]


def test_a_bundle_is_loaded_and_dumped_back(write, load):
    output = load(write("base.yaml", BASE), write("bundle.yaml", BUNDLE))
    assert "Bundles: 1 created, 0 updated, 0 unchanged" in output
    bundle = Bundle.objects.get(slug="start-a-food-business")
    assert list(bundle.members.values_list("service__slug", "when", "depends_on")) == [
        ("open-a-restaurant", {}, []), ("extend-opening-hours", {"seats": {"gt": 20}}, ["open-a-restaurant"])]
    assert catalogue_dump().split("bundles:\n", 1)[1] == (
        "  - slug: start-a-food-business\n"
        "    name: {en: Start a food business, zh-hans: 开办餐饮企业}\n"
        "    life_event: {en: Starting a business, zh-hans: 企业开办}\n"
        "    services:\n"
        "      - {service: open-a-restaurant}\n"
        "      - {service: extend-opening-hours, when: {seats: {gt: 20}}, depends_on: [open-a-restaurant]}\n")
    again = load(write("dumped.yaml", catalogue_dump()))
    assert "Bundles: 0 created, 0 updated, 1 unchanged" in again


@pytest.mark.parametrize(("change", "expected"), [
    (("      - {service: extend-opening-hours, when: {seats: {gt: 20}}, depends_on: [open-a-restaurant]}\n", ""),
     [("bundles[0].services", "a bundle brings together at least two services")]),
    (("extend-opening-hours, when", "open-a-pub, when"),
     [("bundles[0].services[1].service", "unknown service 'open-a-pub'")]),
    (("{seats: {gt: 20}}", "{chairs: {gt: 20}}"), [("bundles[0].services[1].when", "unknown field 'chairs'")]),
    (("{seats: {gt: 20}}", "{seats: {gt: many}}"),
     [("bundles[0].services[1].when", "field 'seats': 'many' is not a whole number")]),
    (("depends_on: [open-a-restaurant]", "depends_on: [open-a-cafe]"),
     [("bundles[0].services[1].depends_on[0]", "'open-a-cafe' is not another service of this bundle")]),
    (("      - {service: open-a-restaurant}\n", "      - {service: open-a-restaurant, depends_on: [extend-opening-hours]}\n"),
     [("bundles[0].services", "the services depend on each other in a circle: "
                              "open-a-restaurant → extend-opening-hours → open-a-restaurant")]),
    (("      - {service: open-a-restaurant}\n", "      - {service: open-a-restaurant}\n      - {service: open-a-restaurant}\n"),
     [("bundles[0].services[1].service", "service 'open-a-restaurant' is already a member")]),
    (("    services:", "    one_permit: maybe\n    services:"), [("bundles[0].one_permit", "must be true or false")]),
    (("    life_event: {en: Starting a business, zh-hans: 企业开办}\n", ""), [("bundles[0].life_event", "is required")]),
    (("{seats: {gt: 20}}", "[seats]"), [("bundles[0].services[1].when", "must be a condition (a mapping)")]),
])
def test_each_bad_bundle_is_reported_at_its_path(write, change, expected):
    assert problems(write, BUNDLE.replace(*change)) == expected
