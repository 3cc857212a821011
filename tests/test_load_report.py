"""The load test's report (bench/load/report.py): Locust's CSV read back, and the request rate at
which the aggregate p95 crosses 500 ms found between the ramp's steps."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("load_report", ROOT / "bench" / "load" / "report.py")
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)

HEADER = ('"Type","Name","Request Count","Failure Count","Median Response Time","Average Response Time",'
          '"Min Response Time","Max Response Time","Average Content Size","Requests/s","Failures/s","50%","66%",'
          '"75%","80%","90%","95%","98%","99%","99.9%","99.99%","100%"\n')


def step(users, rps, p95):
    return {"users": users, "rps": rps, "p95": p95}


def test_the_crossing_is_interpolated_between_the_last_step_under_and_the_first_over():
    steps = [step(10, 4.0, 120), step(50, 18.0, 400), step(100, 30.0, 900)]
    assert report.crossing(steps) == {"rps": 20.4, "users": 100, "kind": "between", "from": 50}
    assert report.crossing_sentence(report.crossing(steps)) == (
        "p95 crosses 500 ms at about **20.4 requests/s** (interpolated between 50 and 100 users).")


def test_a_crossing_before_the_first_step_and_none_at_all_are_said_so():
    below = report.crossing([step(10, 3.8756747, 800), step(20, 5.0, 1500)])
    assert below == {"rps": 3.9, "users": 10, "kind": "below"}
    assert report.crossing_sentence(below) == (
        "p95 was over 500 ms already at the first step (10 users, 3.9 requests/s): it crosses below that rate.")
    assert report.crossing([step(10, 3.5, 100), step(20, 7.04, 499)]) == {"rps": 7.0, "users": 20, "kind": "above"}


def test_locust_statistics_are_read_per_page(tmp_path):
    (tmp_path / "run_stats.csv").write_text(
        HEADER
        + 'GET,home,40,0,120,150.5,30.1,900.2,2048.0,2.5,0.0,120,140,160,170,200,350,600,880,900,900,900\n'
        + 'POST,sign in,4,1,1500,1600.0,900.0,2100.0,512.0,0.2,0.05,1500,1600,1700,1700,2100,2100,2100,2100,2100,'
          '2100,2100\n'
        + ',Aggregated,44,1,130,200.0,30.1,2100.0,1900.0,2.7,0.05,130,150,170,180,400,1500,2100,2100,2100,2100,2100\n')
    rows = report.stats(tmp_path / "run")
    assert rows == {
        "home": {"method": "GET", "requests": 40, "failures": 0, "rps": 2.5, "p50": 120, "p95": 350, "p99": 880},
        "sign in": {"method": "POST", "requests": 4, "failures": 1, "rps": 0.2, "p50": 1500, "p95": 2100, "p99": 2100},
        "Aggregated": {"method": "", "requests": 44, "failures": 1, "rps": 2.7, "p50": 130, "p95": 1500, "p99": 2100},
    }
    assert report.page_table(rows) == [
        "| page | method | requests | failures | p50 ms | p95 ms | p99 ms | requests/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        "| home | GET | 40 | 0 | 120 | 350 | 880 | 2.50 |",
        "| sign in | POST | 4 | 1 | 1500 | 2100 | 2100 | 0.20 |",
        "| **all** | | 44 | 1 | 130 | 1500 | 2100 | 2.70 |",
    ]
