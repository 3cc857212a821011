"""What checking the calendars' revision costs each question (catalogue.calendar): the revision
read alone, ``cached_calendars()`` when nothing changed (that read and nothing else), a full read
of the calendars, and the first question after a change. Reads only; loads the demo catalogue's
calendar if the database has none. Prints one JSON object: per measure the median and p95 in µs.

``DATABASE_URL=… DJANGO_SETTINGS_MODULE=portal.settings.dev python bench/calendar_revision.py``"""

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from catalogue.calendar import cached_calendars, clear_calendar_cache, current_revision, load_calendars  # noqa: E402
from catalogue.models import Holiday  # noqa: E402

RUNS = 5000


def measure(fn, runs: int = RUNS) -> dict:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return {"median_us": round(statistics.median(samples) * 1e6, 1), "p95_us": round(samples[int(runs * 0.95)] * 1e6, 1)}


def after_a_change():
    clear_calendar_cache()
    cached_calendars()


if __name__ == "__main__":
    if not Holiday.objects.exists():
        from catalogue.loading.apply import catalogue_apply
        from catalogue.loading.reader import catalogue_parse

        catalogue_apply(catalogue=catalogue_parse(paths=[str(Path(__file__).resolve().parent.parent
                                                             / "catalogue/demo/catalogue.yaml")]))
    print(json.dumps({
        "revision_read": measure(current_revision),
        "cached_calendars_unchanged": measure(cached_calendars),
        "load_calendars": measure(load_calendars, 1000),
        "first_question_after_a_change": measure(after_a_change, 1000),
    }))
