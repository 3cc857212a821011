"""Webhooks never reach inside: a subscription to a loopback, private, link-local, shared,
multicast or reserved address (written in any notation, behind any name, or embedded in an IPv6
address) is refused; the host is looked up again before every send and the connection goes to the
address that was checked, with the host's name in the Host header and in TLS.

The tests look names up through ``dns`` (api.tests.conftest), which stands in for the one resolver
webhooks use; literal addresses and ``localhost`` (/etc/hosts) go through the real one. Nothing is
ever sent to an address outside the loopback range: the public address below is only an answer."""

import logging

import pytest
from django.utils import timezone

from api import webhooks
from api.models import WebhookDelivery, WebhookSubscription
from api.services import webhook_subscribe
from api.tests.receiver import Receiver, TestAuthority
from approvals import workflow
from audit.chain import audit_seal
from core.errors import ValidationFailed
from departments.models import Department

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PUBLIC = "93.184.216.34"  # a public address: a name may resolve to it; nothing connects to it here
ONLY_PUBLIC = "webhooks are sent only to public addresses."
NUMERIC = "Write an IP address as four decimal numbers (such as 203.0.113.10), or use a host name."


@pytest.fixture(autouse=True)
def _departments(restaurant):
    """The restaurant service's departments (tax, fire, health, registration) to subscribe."""


def fields_of(response) -> dict:
    assert response.status_code == 400, response.json()
    return response.json()["error"]["fields"]


def refusal(url: str) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        webhook_subscribe(department=Department.objects.get(code="tax"), url=url, events=["review.routed"])
    return refused.value.errors


# --- Refused when subscribing ---------------------------------------------------------------------


@pytest.mark.parametrize(("url", "message"), [
    ("http://127.0.0.1:8000/hook", f"127.0.0.1 is a loopback address; {ONLY_PUBLIC}"),
    ("http://169.254.169.254/latest/meta-data/", f"169.254.169.254 is a link-local address; {ONLY_PUBLIC}"),
    ("http://localhost:6379/", f"localhost resolves to 127.0.0.1, a loopback address; {ONLY_PUBLIC}"),
    ("http://10.0.0.1/", f"10.0.0.1 is a private address; {ONLY_PUBLIC}"),
    ("http://[::1]:8000/hook", f"::1 is a loopback address; {ONLY_PUBLIC}"),
    ("http://[::ffff:127.0.0.1]/", f"::ffff:127.0.0.1 carries 127.0.0.1, a loopback address; {ONLY_PUBLIC}"),
    ("http://[::ffff:a9fe:a9fe]/", f"::ffff:a9fe:a9fe carries 169.254.169.254, a link-local address; {ONLY_PUBLIC}"),
    ("http://0.0.0.0:8000/", f"0.0.0.0 is an unspecified address; {ONLY_PUBLIC}"),
])
def test_internal_addresses_are_refused_through_the_api(dept_api, url, message):
    _, tax = dept_api["tax"]
    response = tax.post("/api/v1/webhooks/", {"url": url, "events": ["review.routed"]})
    assert fields_of(response) == {"url": [message]}
    assert response.json()["error"]["code"] == "validation_failed"
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.parametrize("host", [
    "2130706433",  # decimal
    "0177.0.0.1",  # octal
    "0x7f000001",  # hexadecimal
    "0x7f.0.0.1",
    "127.1",  # short form
    "127.0.1",
    "017700000001",
    "127.000.000.001",
    "1.2.3.4.",
])
def test_numeric_hosts_in_other_notations_are_refused(dept_api, host):
    _, tax = dept_api["tax"]
    response = tax.post("/api/v1/webhooks/", {"url": f"http://{host}:8000/hook", "events": ["review.routed"]})
    assert fields_of(response) == {"url": [NUMERIC]}
    # The service refuses them too, whoever calls it.
    assert refusal(f"http://{host}/") == {"url": [NUMERIC]}
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "a loopback address"),
    ("127.255.255.254", "a loopback address"),
    ("10.0.0.1", "a private address"),
    ("172.16.0.1", "a private address"),
    ("192.168.1.1", "a private address"),
    ("169.254.169.254", "a link-local address"),
    ("100.64.0.1", "a shared address (carrier-grade NAT)"),
    ("100.127.255.254", "a shared address (carrier-grade NAT)"),
    ("224.0.0.1", "a multicast address"),
    ("239.255.255.250", "a multicast address"),
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a reserved address"),
    ("0.0.0.0", "an unspecified address"),  # noqa: S104  (an answer, never bound to)
    ("0.1.2.3", "a private address"),  # "this network"
    ("192.0.0.8", "a private address"),  # IETF protocol assignments
    ("198.18.0.1", "a private address"),  # benchmarking
    ("192.0.2.1", "a private address"),  # documentation
    ("::1", "a loopback address"),
    ("::", "an unspecified address"),
    ("fe80::1", "a link-local address"),
    ("fc00::1", "a unique local address"),
    ("fd12:3456::1", "a unique local address"),
    ("fec0::1", "a site-local address"),
    ("ff02::1", "a multicast address"),
    ("ff0e::1", "a multicast address"),
    ("2001:db8::1", "a private address"),  # documentation
    ("100::1", "a reserved address"),  # discard-only
    ("64:ff9b:1::1", "a reserved address"),  # local-use NAT64
])
def test_a_name_resolving_into_any_blocked_range_is_refused(dns, address, kind):
    dns.set("hooks.example.test", [address])
    assert refusal("http://hooks.example.test/hook") == {
        "url": [f"hooks.example.test resolves to {address}, {kind}; {ONLY_PUBLIC}"]}
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.parametrize(("address", "inner", "kind"), [
    ("::ffff:127.0.0.1", "127.0.0.1", "a loopback address"),  # IPv4-mapped
    ("::ffff:10.1.2.3", "10.1.2.3", "a private address"),
    ("::ffff:100.64.0.1", "100.64.0.1", "a shared address (carrier-grade NAT)"),
    ("::7f00:1", "127.0.0.1", "a loopback address"),  # IPv4-compatible
    ("2002:7f00:1::1", "127.0.0.1", "a loopback address"),  # 6to4
    ("2002:a9fe:a9fe::1", "169.254.169.254", "a link-local address"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1", "a loopback address"),  # Teredo's client
    ("64:ff9b::a00:1", "10.0.0.1", "a private address"),  # NAT64
])
def test_an_ipv6_address_carrying_a_blocked_ipv4_address_is_refused(dns, address, inner, kind):
    dns.set("hooks.example.test", [address])
    assert refusal("http://hooks.example.test/hook") == {
        "url": [f"hooks.example.test resolves to {address}, which carries {inner}, {kind}; {ONLY_PUBLIC}"]}


def test_one_blocked_address_among_public_ones_is_enough_to_refuse(dns):
    dns.set("hooks.example.test", [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946", "10.20.30.40"])
    assert refusal("https://hooks.example.test/hook") == {
        "url": [f"hooks.example.test resolves to 10.20.30.40, a private address; {ONLY_PUBLIC}"]}


def test_a_public_name_is_accepted_and_an_unknown_one_refused(dns, dept_api):
    dns.set("hooks.tax.example.gov", [PUBLIC])
    _, tax = dept_api["tax"]
    created = tax.post("/api/v1/webhooks/", {"url": "https://hooks.tax.example.gov/portal", "events": ["permit.issued"]})
    assert created.status_code == 201, created.json()
    assert dns.asked == [("hooks.tax.example.gov", 443)]
    missing = tax.post("/api/v1/webhooks/", {"url": "https://nowhere.example.test/", "events": ["permit.issued"]})
    assert fields_of(missing) == {"url": ["nowhere.example.test could not be found."]}
    assert WebhookSubscription.objects.count() == 1


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://hooks.example.test/", "Give an http or https address."),
    ("https://user:secret@hooks.example.test/", "Leave the user name and password out of the address."),
    ("https:///no-host", "Give a full address, such as https://hooks.example.gov/portal."),
    ("https://hooks.example.test:99999/", "Give a full address, such as https://hooks.example.gov/portal."),
    ("https://[fe80::1%25eth0]/", "Give a full address, such as https://hooks.example.gov/portal."),
])
def test_addresses_that_are_not_plain_web_addresses_are_refused(dns, url, message):
    dns.set("hooks.example.test", [PUBLIC])
    assert refusal(url) == {"url": [message]}


def test_https_is_required_where_http_is_not_allowed(dns, dept_api, settings):
    settings.API_WEBHOOK_ALLOW_HTTP = False  # as in production
    dns.set("hooks.tax.example.gov", [PUBLIC])
    _, tax = dept_api["tax"]
    plain = tax.post("/api/v1/webhooks/", {"url": "http://hooks.tax.example.gov/portal", "events": ["permit.issued"]})
    assert fields_of(plain) == {"url": ["Use an https address."]}
    assert tax.post("/api/v1/webhooks/", {"url": "https://hooks.tax.example.gov/portal",
                                          "events": ["permit.issued"]}).status_code == 201


def test_only_the_allowed_hosts_when_the_administrator_lists_them(dns, settings):
    settings.API_WEBHOOK_ALLOWED_HOSTS = ["hooks.tax.example.gov", "Intake.Health.example.gov"]
    for host in ("hooks.tax.example.gov", "intake.health.example.gov", "evil.example.com", "sub.hooks.tax.example.gov"):
        dns.set(host, [PUBLIC])
    tax = Department.objects.get(code="tax")
    webhook_subscribe(department=tax, url="https://hooks.tax.example.gov/portal", events=["permit.issued"])
    webhook_subscribe(department=tax, url="https://INTAKE.health.example.gov./in", events=["permit.issued"])
    for host in ("evil.example.com", "sub.hooks.tax.example.gov"):
        assert refusal(f"https://{host}/portal") == {"url": [f"{host} is not among the hosts webhooks may be sent to."]}
    # Listed, but still only at a public address.
    dns.set("hooks.tax.example.gov", ["10.0.0.7"])
    assert refusal("https://hooks.tax.example.gov/other") == {
        "url": [f"hooks.tax.example.gov resolves to 10.0.0.7, a private address; {ONLY_PUBLIC}"]}
    assert WebhookSubscription.objects.count() == 2


def test_loopback_only_where_a_setting_allows_it(settings):
    settings.API_WEBHOOK_ALLOW_LOOPBACK = True  # development and the tests' receivers only
    tax = Department.objects.get(code="tax")
    webhook_subscribe(department=tax, url="http://localhost:8000/hook", events=["permit.issued"])
    webhook_subscribe(department=tax, url="http://[::1]:8000/hook", events=["permit.issued"])
    assert refusal("http://10.0.0.1/") == {"url": [f"10.0.0.1 is a private address; {ONLY_PUBLIC}"]}
    assert refusal("http://[::ffff:127.0.0.1]/") == {
        "url": [f"::ffff:127.0.0.1 carries 127.0.0.1, a loopback address; {ONLY_PUBLIC}"]}
    assert WebhookSubscription.objects.count() == 2


# --- Checked again before every send ----------------------------------------------------------------


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def routed_delivery(submit, department_code="tax") -> int:
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    audit_seal()
    [pk] = webhooks.webhook_dispatch()
    assert WebhookDelivery.objects.get(pk=pk).subscription.department.code == department_code
    return pk


def test_a_loopback_receiver_allowed_then_disallowed_is_never_reached(submit, receiver, settings, caplog):
    settings.API_WEBHOOK_ALLOW_LOOPBACK = True
    sub, receiver.secret = webhook_subscribe(department=Department.objects.get(code="tax"),
                                             url=f"http://localhost:{receiver.port}/hook", events=["review.routed"])
    pk = routed_delivery(submit)
    settings.API_WEBHOOK_ALLOW_LOOPBACK = False
    with caplog.at_level(logging.WARNING, logger="api.webhooks"):
        assert webhooks.webhook_deliver(delivery_id=pk) == "pending"
    assert receiver.received == [] and receiver.hosts == []
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert delivery.last_error == f"refused: localhost resolves to 127.0.0.1, a loopback address; {ONLY_PUBLIC}"
    assert delivery.last_status_code is None and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"Webhook delivery {pk} to subscription {sub.pk} not sent: {delivery.last_error}")]


def test_dns_rebinding_after_subscribing_is_refused_at_send_time(dns, submit, receiver):
    dns.set("hooks.example.test", [PUBLIC])
    _, receiver.secret = webhook_subscribe(department=Department.objects.get(code="tax"),
                                           url=f"http://hooks.example.test:{receiver.port}/hook", events=["review.routed"])
    pk = routed_delivery(submit)
    dns.set("hooks.example.test", ["127.0.0.1"])  # the name now points inside
    assert webhooks.webhook_deliver(delivery_id=pk) == "pending"
    assert receiver.received == []
    assert WebhookDelivery.objects.get(pk=pk).last_error == (
        f"refused: hooks.example.test resolves to 127.0.0.1, a loopback address; {ONLY_PUBLIC}")


def test_a_host_taken_off_the_allow_list_is_not_sent_to(dns, submit, receiver, settings):
    settings.API_WEBHOOK_ALLOW_LOOPBACK = True
    settings.API_WEBHOOK_ALLOWED_HOSTS = ["hooks.example.test"]
    dns.set("hooks.example.test", ["127.0.0.1"])
    _, receiver.secret = webhook_subscribe(department=Department.objects.get(code="tax"),
                                           url=f"http://hooks.example.test:{receiver.port}/hook", events=["review.routed"])
    pk = routed_delivery(submit)
    settings.API_WEBHOOK_ALLOWED_HOSTS = ["other.example.test"]
    assert webhooks.webhook_deliver(delivery_id=pk) == "pending"
    assert receiver.received == []
    assert WebhookDelivery.objects.get(pk=pk).last_error == (
        "refused: hooks.example.test is not among the hosts webhooks may be sent to.")


def test_the_connection_goes_to_the_address_checked_not_to_a_second_answer(dns, submit, settings):
    """The name is looked up once per send; a second answer (127.0.0.2, where another receiver
    listens on the same port) is never asked for, so the request reaches the address checked."""
    settings.API_WEBHOOK_ALLOW_LOOPBACK = True
    checked = Receiver()
    other = Receiver(host="127.0.0.2", port=checked.port)
    try:
        dns.set("hooks.example.test", ["127.0.0.1"])
        _, secret = webhook_subscribe(department=Department.objects.get(code="tax"),
                                      url=f"http://hooks.example.test:{checked.port}/hook", events=["review.routed"])
        checked.secret = other.secret = secret
        pk = routed_delivery(submit)
        dns.asked.clear()
        dns.set("hooks.example.test", ["127.0.0.1"], ["127.0.0.2"])
        assert webhooks.webhook_deliver(delivery_id=pk) == "delivered"
        assert dns.asked == [("hooks.example.test", checked.port)]
        assert [r[2] for r in checked.received] == [True] and other.received == []
        assert checked.hosts == [f"hooks.example.test:{checked.port}"]
    finally:
        checked.close()
        other.close()


def test_tls_names_the_host_and_its_certificate_is_checked_for_it(dns, submit, settings, tmp_path):
    settings.API_WEBHOOK_ALLOW_LOOPBACK = True
    settings.API_WEBHOOK_ALLOW_HTTP = False
    authority = TestAuthority(tmp_path)
    settings.API_WEBHOOK_CA_FILE = str(authority.ca_file)
    genuine = Receiver(tls=authority.server_context("hooks.example.test"))
    impostor = Receiver(tls=authority.server_context("other.example.test"))
    try:
        dns.set("hooks.example.test", ["127.0.0.1"])
        tax = Department.objects.get(code="tax")
        _, genuine.secret = webhook_subscribe(department=tax, url=f"https://hooks.example.test:{genuine.port}/hook",
                                              events=["review.routed"])
        webhook_subscribe(department=tax, url=f"https://hooks.example.test:{impostor.port}/hook", events=["review.routed"])
        application = submit()
        workflow.application_route(application_ids=[application.pk])
        audit_seal()
        webhooks.webhook_dispatch()
        assert sorted(webhooks.webhook_deliver(delivery_id=pk) for pk in webhooks.deliveries_due()) == [
            "delivered", "pending"]
        assert genuine.server_names == ["hooks.example.test"]
        assert genuine.hosts == [f"hooks.example.test:{genuine.port}"] and [r[2] for r in genuine.received] == [True]
        # A certificate for another name: the handshake is refused and nothing is sent.
        assert impostor.server_names == ["hooks.example.test"] and impostor.received == []
        failed = WebhookDelivery.objects.get(subscription__url__contains=f":{impostor.port}/")
        assert failed.last_error.startswith(
            "ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, "
            "certificate is not valid for 'hooks.example.test'.")
    finally:
        genuine.close()
        impostor.close()
