"""Search synonyms of a service: catalogue data, checked by the loader and the admin, dumped back."""

import pytest

from catalogue.dumper import catalogue_dump
from catalogue.models import Service

from .conftest import BASE, state
from .test_admin import change_url, form_data

pytestmark = pytest.mark.django_db

DESCRIPTION = "    description: {en: Everything to open a restaurant., zh-hans: 开办餐饮店的全部手续。}\n"
SYNONYMS = """\
    synonyms:
      en: [eatery, ' diner ', food stall]
      zh-hans: [餐厅, 饭馆]
"""


def with_synonyms(text: str) -> str:
    """The BASE catalogue with ``text`` after the restaurant's description."""
    assert BASE.count(DESCRIPTION) == 1
    return BASE.replace(DESCRIPTION, DESCRIPTION + text)


def test_synonyms_are_loaded_dumped_and_loaded_again_unchanged(base, write, load):
    output = load(write("synonyms.yaml", with_synonyms(SYNONYMS)))
    assert "Services: 0 created, 1 updated, 2 unchanged" in output
    assert "No new versions published" in output  # synonyms are not part of the form
    restaurant = Service.objects.get(slug="open-a-restaurant")
    assert restaurant.synonyms == {"en": ["eatery", "diner", "food stall"], "zh-hans": ["餐厅", "饭馆"]}
    assert Service.objects.get(slug="open-a-cafe").synonyms == {}

    dump = catalogue_dump()
    assert ("    description: {en: Everything to open a restaurant., zh-hans: 开办餐饮店的全部手续。}\n"
            "    synonyms:\n"
            "      en: [eatery, diner, food stall]\n"
            "      zh-hans: [餐厅, 饭馆]\n"
            "    fee: {en: Free, zh-hans: 免费}\n") in dump
    assert dump.count("synonyms:") == 1  # none written for services without
    before = state()
    load(write("dump.yaml", dump))
    assert state() == before
    assert catalogue_dump() == dump


@pytest.mark.parametrize(("text", "expected"), [
    ("    synonyms: [eatery]\n",
     ["services[0].synonyms: must be lists of words per language, e.g. {en: [eatery, diner], zh-hans: [餐厅]}"]),
    ("    synonyms: {en: eatery}\n", ["services[0].synonyms.en: must be a list"]),
    ("    synonyms: {en: []}\n", ["services[0].synonyms.en: must not be empty"]),
    ("    synonyms: {fr: [restaurant]}\n", ["services[0].synonyms.fr: unknown language (expected one of en, zh-hans)"]),
    ("    synonyms: {en: [eatery, '', 12, Eatery]}\n",
     ["services[0].synonyms.en[1]: must be non-empty text", "services[0].synonyms.en[2]: must be non-empty text",
      "services[0].synonyms.en[3]: 'Eatery' is already listed (en[0])"]),
    ("    synonyms: {zh-hans: [" + "餐" * 101 + "]}\n", ["services[0].synonyms.zh-hans[0]: must be at most 100 characters"]),
])
def test_invalid_synonyms_are_reported_and_change_nothing(base, write, load_errors, text, expected):
    before = state()
    bad = write("bad.yaml", with_synonyms(text))
    assert load_errors(bad) == [f"{bad}: {line}" for line in expected]
    assert state() == before


def test_synonyms_are_edited_in_the_admin(base, admin_client):  # noqa: F811
    cafe = Service.objects.get(slug="open-a-cafe")
    data = form_data(admin_client.get(change_url(cafe)))
    assert data["synonyms"] == "{}"

    data["synonyms"] = '{"en": ["coffee shop", " espresso bar "], "zh-hans": ["咖啡店"]}'
    response = admin_client.post(change_url(cafe), data)
    assert response.status_code == 302
    cafe.refresh_from_db()
    assert cafe.synonyms == {"en": ["coffee shop", "espresso bar"], "zh-hans": ["咖啡店"]}
    assert cafe.current_version.number == 1

    before = state()
    data["synonyms"] = '{"en": ["coffee shop", "Coffee shop"], "de": ["Kaffee"]}'
    response = admin_client.post(change_url(cafe), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["synonyms"] == [
        "en[1]: 'Coffee shop' is already listed (en[0])", "de: unknown language (expected one of en, zh-hans)"]
    assert state() == before

    data["synonyms"] = ""
    assert admin_client.post(change_url(cafe), data).status_code == 302
    cafe.refresh_from_db()
    assert cafe.synonyms == {}
