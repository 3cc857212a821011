"""The portal's client of the register interface: a register is another system, slow or failing or
answering what it should not, and each such answer is a RegisterFailed with its outcome."""

import time

import pytest

from registers.client import RegisterFailed, register_fetch
from tests.register_service.fixtures import COMPANY, MARKUP_COMPANY, PERSON_NUMBER, UNKNOWN_COMPANY

GOOD = {"unified_social_credit_code": COMPANY, "registered_name": "Wang Fang Test Trading Co., Ltd.",
        "registered_address": "5 Test Street, Central District", "legal_representative": "Wang Fang", "status": "active"}


def test_a_record_of_the_reference_register(registers):
    assert register_fetch("company", COMPANY) == {k: v for k, v in GOOD.items() if k != "unified_social_credit_code"}
    assert register_fetch("population", PERSON_NUMBER) == {
        "name": "Wang Fang", "registered_residence": "Room 301, 5 Garden Lane, Chaoyang District, Beijing"}


def test_markup_in_an_answer_is_kept_as_text(registers):
    """Never rendered: the pages escape it (tests of the form and the review page)."""
    assert register_fetch("company", MARKUP_COMPANY)["registered_name"] == "<script>alert(1)</script> & <b>Bold</b> Ltd"


def test_an_unknown_code_is_not_found(registers):
    with pytest.raises(RegisterFailed) as failed:
        register_fetch("company", UNKNOWN_COMPANY)
    assert failed.value.outcome == "not_found"


def test_a_register_that_never_answers_is_given_up_on_after_the_read_timeout_without_a_retry(silent_register):
    started = time.monotonic()
    with pytest.raises(RegisterFailed) as failed:
        register_fetch("company", COMPANY)
    took = time.monotonic() - started
    assert failed.value.outcome == "unavailable"
    assert failed.value.detail == "ReadTimeout"
    assert 0.3 <= took < 0.6  # one wait of REGISTER_READ_TIMEOUT_SECONDS (0.3 s), not two


def test_a_slow_register_is_unavailable(misbehaving_register):
    misbehaving_register(body=GOOD, delay=1.0)  # the read timeout is 0.5 s
    with pytest.raises(RegisterFailed) as failed:
        register_fetch("company", COMPANY)
    assert failed.value.outcome == "unavailable"


def test_a_register_nobody_listens_on_is_asked_twice_then_unavailable(settings):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connections are refused
    settings.REGISTER_URLS = {"company": f"http://127.0.0.1:{port}"}
    with pytest.raises(RegisterFailed) as failed:
        register_fetch("company", COMPANY)
    assert (failed.value.outcome, failed.value.detail) == ("unavailable", "ConnectError")


def test_a_register_without_an_address_is_unavailable(settings):
    settings.REGISTER_URLS = {}
    with pytest.raises(RegisterFailed) as failed:
        register_fetch("company", COMPANY)
    assert (failed.value.outcome, failed.value.detail) == ("unavailable", "no address configured")


def test_a_503_is_asked_again_once(misbehaving_register):
    server = misbehaving_register(status=503, body={"error": {"code": "busy", "message": "busy"}})
    with pytest.raises(RegisterFailed) as failed:
        register_fetch("company", COMPANY)
    assert failed.value.outcome == "unavailable"
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [500, 401, 403, 302])
def test_other_errors_are_unavailable_and_asked_once(misbehaving_register, status):
    server = misbehaving_register(status=status, body=b"<html>error</html>")
    with pytest.raises(RegisterFailed) as failed:
        register_fetch("company", COMPANY)
    assert (failed.value.outcome, failed.value.detail) == ("unavailable", f"HTTP {status}")
    assert server.requests == [f"/v1/companies/{COMPANY}"]


def test_unknown_fields_are_ignored(misbehaving_register):
    misbehaving_register(body={**GOOD, "shareholders": ["someone"], "registered_capital": 100})
    assert set(register_fetch("company", COMPANY)) == {"registered_name", "registered_address", "legal_representative",
                                                         "status"}


@pytest.mark.parametrize(("body", "detail"), [
    (b"not json", "not a JSON object"),
    (b"[1, 2]", "not a JSON object"),
    ({**GOOD, "unified_social_credit_code": "91110108MA01JQ5T9Q"}, "unified_social_credit_code is not the key asked for"),
    ({k: v for k, v in GOOD.items() if k != "registered_address"}, "registered_address is not text"),
    ({**GOOD, "registered_name": 42}, "registered_name is not text"),
    ({**GOOD, "registered_name": {"en": "x"}}, "registered_name is not text"),
    ({**GOOD, "registered_name": "x" * 201}, "registered_name is empty, too long or has control characters"),
    ({**GOOD, "registered_name": "   "}, "registered_name is empty, too long or has control characters"),
    ({**GOOD, "registered_name": "Line\nbreak"}, "registered_name is empty, too long or has control characters"),
    ({**GOOD, "status": "dormant"}, "status is not one of the interface's values"),
    (b"\0" * (65 * 1024), "not a JSON object"),
])
def test_an_answer_that_breaks_the_interface_is_not_used(misbehaving_register, body, detail):
    misbehaving_register(body=body)
    with pytest.raises(RegisterFailed) as failed:
        register_fetch("company", COMPANY)
    assert (failed.value.outcome, failed.value.detail) == ("invalid_answer", detail)


def test_manage_py_check_refuses_register_settings_a_lookup_would_trip_over(settings):
    from registers.checks import register_settings

    settings.REGISTER_URLS = {"company": "ftp://registers.example.gov", "vehicles": "https://v.example.gov",
                              "address": "http://addresses.example.gov"}
    settings.REGISTER_READ_TIMEOUT_SECONDS = 0
    settings.REGISTER_REQUIRE_HTTPS = True
    assert [(p.id, p.msg) for p in register_settings()] == [
        ("registers.E002", "REGISTER_URLS: company='ftp://registers.example.gov' is not an http(s) address."),
        ("registers.E001", "REGISTER_URLS names 'vehicles', which the register interface does not know."),
        ("registers.W001", "REGISTER_URLS: address is reached without TLS (http://addresses.example.gov)."),
        ("registers.E003", "REGISTER_READ_TIMEOUT_SECONDS must be greater than 0."),
    ]
    settings.REGISTER_URLS = {"company": "https://registers.example.gov"}
    settings.REGISTER_READ_TIMEOUT_SECONDS = 5
    assert register_settings() == []
