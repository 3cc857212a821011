"""manage.py measure_bundle: the demo bundle's figures, and bad input refused in words."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def measured(*args) -> dict:
    out = StringIO()
    call_command("measure_bundle", "open-a-restaurant", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_demo_bundle_asks_fewer_questions_in_one_submission(restaurant_bundle):
    assert measured() == {"questions_together": 22, "questions_separately": 32, "submissions_together": 1,
                          "submissions_separately": 4}
    assert measured("--answers", '{"seating_capacity": 20, "uses_gas": false, "plans_sign": true}') == {
        "questions_together": 21, "questions_separately": 25, "submissions_together": 1, "submissions_separately": 3}


@pytest.mark.parametrize(("args", "message"), [
    (["open-a-pub"], "No bundle 'open-a-pub'."),
    (["open-a-restaurant", "--answers", "{seats"], "--answers is not JSON"),
    (["open-a-restaurant", "--answers", "[1]"], "--answers must be a JSON object of answers by question."),
])
def test_bad_input_is_refused_in_words(restaurant_bundle, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        call_command("measure_bundle", *args, stdout=StringIO())
