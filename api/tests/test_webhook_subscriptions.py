"""Webhook subscriptions: at most API_WEBHOOK_MAX_PER_DEPARTMENT active per department, even when two
subscribe at once; the signing secret encrypted at rest, shown once (never by the admin, never by an
Idempotency-Key replay) and rotated on request; another department's subscription answers 404 and
the attempt is audited."""

import io
import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from api import webhooks
from api.models import IdempotencyRecord, WebhookSubscription
from api.services import webhook_subscribe
from api.tests.receiver import Receiver
from approvals import workflow
from audit.chain import audit_seal
from audit.models import Action, AuditEvent
from core.errors import ValidationFailed
from departments.models import Department
from tests.concurrent import run_while_waited_on

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PUBLIC = "93.184.216.34"  # only ever an answer of the stand-in resolver: nothing connects to it
URL = "https://hooks.example.test/portal"
CAP_MESSAGE = "Your department already has {n} active webhook subscriptions, the most allowed; delete one first."


@pytest.fixture
def public_host(dns):
    dns.set("hooks.example.test", [PUBLIC])
    return dns


def subscribe_body(events=("review.routed",)) -> dict:
    return {"url": URL, "events": list(events)}


def error_of(response) -> dict:
    return response.json()["error"]


def raw_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_webhooksubscription")
        return cursor.fetchall()


# --- The cap ---------------------------------------------------------------------------------------


def test_a_department_has_at_most_the_cap_of_active_subscriptions(public_host, dept_api, settings):
    settings.API_WEBHOOK_MAX_PER_DEPARTMENT = 2
    _, tax = dept_api["tax"]
    _, fire = dept_api["fire"]
    first, second = (tax.post("/api/v1/webhooks/", subscribe_body()).json() for _ in range(2))
    over = tax.post("/api/v1/webhooks/", subscribe_body())
    assert over.status_code == 400
    assert error_of(over) == {"code": "validation_failed", "message": CAP_MESSAGE.format(n=2), "fields": {}}
    assert fire.post("/api/v1/webhooks/", subscribe_body()).status_code == 201  # each department its own
    # A subscription the administrator switched off does not count; a deleted one frees its place.
    WebhookSubscription.objects.filter(pk=first["id"]).update(active=False)
    assert tax.post("/api/v1/webhooks/", subscribe_body()).status_code == 201
    assert tax.post("/api/v1/webhooks/", subscribe_body()).status_code == 400
    assert tax.delete(f"/api/v1/webhooks/{second['id']}/").status_code == 204
    assert tax.post("/api/v1/webhooks/", subscribe_body()).status_code == 201
    assert WebhookSubscription.objects.filter(department__code="tax", active=True).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_subscribing_at_once_at_the_last_place_one_wins(public_host, restaurant, settings):
    """The second waits for the first one's lock on the department, then counts its subscription."""
    settings.API_WEBHOOK_MAX_PER_DEPARTMENT = 3
    tax = Department.objects.get(code="tax")
    for _ in range(2):
        webhook_subscribe(department=tax, url=URL, events=["review.routed"])
    refused = []

    def second():
        try:
            webhook_subscribe(department=tax, url=URL, events=["permit.issued"])
        except ValidationFailed as error:
            refused.append(error.message)

    errors = run_while_waited_on(lambda: webhook_subscribe(department=tax, url=URL, events=["review.decided"]),
                                 second, timeout=10)
    assert errors == []
    assert [str(m) for m in refused] == [CAP_MESSAGE.format(n=3)]
    assert sorted(e for s in WebhookSubscription.objects.filter(department=tax) for e in s.events) == [
        "review.decided", "review.routed", "review.routed"]


# --- The secret ------------------------------------------------------------------------------------


def test_the_secret_is_shown_once_and_kept_only_encrypted(public_host, dept_api, settings):
    _, tax = dept_api["tax"]
    created = tax.post("/api/v1/webhooks/", subscribe_body())
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) == 49
    [row] = raw_rows()
    assert not any(secret in str(value) for value in row)  # nowhere in the table
    sub = WebhookSubscription.objects.get()
    assert Fernet(settings.API_WEBHOOK_SECRET_KEYS[0]).decrypt(sub.secret_sealed.encode()).decode() == secret
    listed = tax.get("/api/v1/webhooks/").json()
    one = tax.get(f"/api/v1/webhooks/{sub.pk}/").json()
    assert listed == [one] and one == {k: v for k, v in created.json().items() if k != "secret"}
    assert one["url"] == URL and one["events"] == ["review.routed"] and one["active"] is True


def test_an_idempotent_replay_answers_without_the_secret(public_host, dept_api):
    _, tax = dept_api["tax"]
    first = tax.post("/api/v1/webhooks/", subscribe_body(), key="hook-1")
    replay = tax.post("/api/v1/webhooks/", subscribe_body(), key="hook-1")
    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == {**first.json(), "secret": None}
    assert WebhookSubscription.objects.count() == 1
    [record] = IdempotencyRecord.objects.all()
    assert first.json()["secret"] not in json.dumps(record.body)


def test_the_admin_shows_a_marker_never_the_secret(public_host, dept_api, admin_client):
    _, tax = dept_api["tax"]
    created = tax.post("/api/v1/webhooks/", subscribe_body()).json()
    secret, sealed = created["secret"], WebhookSubscription.objects.get().secret_sealed
    for page in ("/admin/api/webhooksubscription/", f"/admin/api/webhooksubscription/{created['id']}/change/"):
        response = admin_client.get(page)
        assert response.status_code == 200
        assert secret.encode() not in response.content and sealed.encode() not in response.content
    change = admin_client.get(f"/admin/api/webhooksubscription/{created['id']}/change/").content.decode()
    assert "Shown once, to the department system that subscribed; kept encrypted." in change
    assert admin_client.get("/admin/api/webhooksubscription/add/").status_code == 403


def test_rotating_the_secret_signs_the_next_deliveries_with_the_new_one(dns, dept_api, submit, settings):
    settings.API_WEBHOOK_ALLOW_LOOPBACK = True
    receiver = Receiver()
    try:
        dns.set("hooks.example.test", ["127.0.0.1"])
        _, tax = dept_api["tax"]
        created = tax.post("/api/v1/webhooks/", {"url": f"http://hooks.example.test:{receiver.port}/hook",
                                                 "events": ["review.routed"]}).json()
        rotated = tax.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/", key="rotate-1")
        assert rotated.status_code == 200
        body = rotated.json()
        assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
        assert {k: v for k, v in body.items() if k != "secret"} == {k: v for k, v in created.items() if k != "secret"}
        replay = tax.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/", key="rotate-1")
        assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == {**body, "secret": None}

        receiver.secret = body["secret"]
        application = submit()
        workflow.application_route(application_ids=[application.pk])
        audit_seal()
        [pk] = webhooks.webhook_dispatch()
        assert webhooks.webhook_deliver(delivery_id=pk) == "delivered"
        assert [r[2] for r in receiver.received] == [True]
    finally:
        receiver.close()


def test_secrets_survive_a_change_of_key_and_are_resealed_with_the_new_one(public_host, restaurant, settings):
    old_key = settings.API_WEBHOOK_SECRET_KEYS[0]
    sub, secret = webhook_subscribe(department=Department.objects.get(code="tax"), url=URL, events=["review.routed"])
    new_key = Fernet.generate_key().decode()
    settings.API_WEBHOOK_SECRET_KEYS = [new_key, old_key]  # the first seals; every one opens
    from api.webhook_secrets import secret_open

    assert secret_open(WebhookSubscription.objects.get().secret_sealed) == secret
    out = io.StringIO()
    call_command("webhook_secret_keys", "--reseal", stdout=out)
    assert out.getvalue() == "1 webhook secret sealed again with the first key of API_WEBHOOK_SECRET_KEYS.\n"
    sealed = WebhookSubscription.objects.get().secret_sealed
    assert Fernet(new_key).decrypt(sealed.encode()).decode() == secret
    settings.API_WEBHOOK_SECRET_KEYS = [new_key]  # the old key can go now
    assert secret_open(WebhookSubscription.objects.get().secret_sealed) == secret


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_secrets_kept_before(restaurant):
    from api.webhook_secrets import secret_open

    before = [("api", "0002_filing_consent")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("api")
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("api", "WebhookSubscription")
        old.objects.create(department_id=Department.objects.get(code="tax").pk, url=URL, events=["permit.issued"],
                           secret="whsec_kept-in-the-clear")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    [row] = raw_rows()
    assert not any("whsec_kept-in-the-clear" in str(value) for value in row)
    assert secret_open(WebhookSubscription.objects.get().secret_sealed) == "whsec_kept-in-the-clear"


# --- Another department's subscription --------------------------------------------------------------


def test_another_departments_subscription_is_404_and_the_attempt_audited(public_host, dept_api):
    _, tax = dept_api["tax"]
    fire_token, fire = dept_api["fire"]
    created = tax.post("/api/v1/webhooks/", subscribe_body()).json()
    path = f"/api/v1/webhooks/{created['id']}/"
    for response in (fire.get(path), fire.delete(path), fire.post(path + "rotate-secret/")):
        assert response.status_code == 404
        assert error_of(response) == {"code": "not_found", "message": "Not found.", "fields": {}}
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="webhook_subscription",
                                       object_id=str(created["id"]))
    assert denied.count() == 3
    assert set(denied.values_list("actor_id", flat=True)) == {fire_token.user_id}
    assert sorted(denied.values_list("details__path", flat=True)) == [path, path, path + "rotate-secret/"]
    # Tax's subscription and its secret are as they were.
    assert WebhookSubscription.objects.filter(pk=created["id"]).exists()
    assert tax.get(path).status_code == 200


# --- On record --------------------------------------------------------------------------------------


def test_subscribing_rotating_and_unsubscribing_are_on_record_with_the_token(public_host, dept_api):
    token, tax = dept_api["tax"]
    created = tax.post("/api/v1/webhooks/", subscribe_body(("review.routed", "permit.issued"))).json()
    path = f"/api/v1/webhooks/{created['id']}/"
    assert tax.post(path + "rotate-secret/").status_code == 200
    assert tax.delete(path).status_code == 204
    events = AuditEvent.objects.filter(object_type="webhook").order_by("id")
    expected_url = {"url": "https://hooks.example.test/portal", "token": token.prefix}
    assert [(e.action, e.actor_id, e.actor_label, e.object_id, e.department_code, e.details) for e in events] == [
        (Action.WEBHOOK_SUBSCRIBED, token.user_id, token.label, str(created["id"]), "tax",
         {**expected_url, "events": ["review.routed", "permit.issued"]}),
        (Action.WEBHOOK_SECRET_ROTATED, token.user_id, token.label, str(created["id"]), "tax", expected_url),
        (Action.WEBHOOK_UNSUBSCRIBED, token.user_id, token.label, str(created["id"]), "tax", expected_url),
    ]
    assert not any(created["secret"] in json.dumps(e.details) for e in events)


def test_an_address_is_on_record_without_its_query_or_credentials(public_host, dept_api):
    _, tax = dept_api["tax"]
    created = tax.post("/api/v1/webhooks/", {"url": URL + "?key=s3cret#frag", "events": ["review.routed"]}).json()
    event = AuditEvent.objects.get(action=Action.WEBHOOK_SUBSCRIBED, object_id=str(created["id"]))
    assert event.details["url"] == "https://hooks.example.test/portal"
