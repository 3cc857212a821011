"""docs/grafana-dashboard.json is built on the metrics the portal exposes: every metric named in
its expressions is one a scrape of /metrics describes, and every metric of the portal's own is
on it."""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from tests.services import redis_url

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"
TOKEN = "dashboard-test-token-0123456789abcdef"
# The samples a family of each type shows (prometheus-client's text format, no _created series).
SAMPLES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum"),
           "summary": ("", "_count", "_sum"), "untyped": ("",), "info": ("_info",)}
METRIC = re.compile(r"\b((?:portal|django_http|celery|flower|process|python)_[a-zA-Z0-9_:]*)")


def expressions(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        query = node.get("query")
        if isinstance(query, dict) and isinstance(query.get("query"), str):
            found.append(query["query"])
        return found + [e for value in node.values() for e in expressions(value)]
    if isinstance(node, list):
        return [e for value in node for e in expressions(value)]
    return []


@pytest.mark.django_db
def test_every_metric_the_dashboard_names_is_exposed(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.CELERY_BROKER_URL = redis_url()
    client.get(reverse("healthz"))
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    families = list(text_string_to_metric_families(response.content.decode()))
    exposed = {f"{family.name}{suffix}" for family in families for suffix in SAMPLES[family.type]}

    dashboard = json.loads(DASHBOARD.read_text())
    named = {name for expr in expressions(dashboard) for name in METRIC.findall(expr)}
    assert len(expressions(dashboard)) == 18  # 16 panel queries, 2 variables
    assert named - exposed == set()
    # Every metric of the portal's own is on the dashboard.
    on_dashboard = {family.name for family in families if any(f"{family.name}{s}" in named for s in SAMPLES[family.type])}
    portal_families = {family.name for family in families if family.name.startswith("portal_")}
    assert len(portal_families) == 10
    assert portal_families - on_dashboard == set()


def test_the_dashboard_reads_the_provisioned_data_source():
    dashboard = json.loads(DASHBOARD.read_text())
    provisioned = (DASHBOARD.parent.parent / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    uid = re.search(r"uid: (\S+)", provisioned).group(1)

    def sources(node):
        if isinstance(node, dict):
            return ([node["datasource"]] if "datasource" in node else []) + [s for v in node.values() for s in sources(v)]
        return [s for v in node for s in sources(v)] if isinstance(node, list) else []

    assert {json.dumps(s, sort_keys=True) for s in sources(dashboard)} == {json.dumps({"type": "prometheus", "uid": uid},
                                                                                      sort_keys=True)}
