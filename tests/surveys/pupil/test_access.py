"""Getting in: failed join codes are limited per address, correct ones never are."""

from __future__ import annotations

import time

from django.test import Client

from surveys import codes
from surveys.pupil import access
from tests.surveys.factories import make_pupil


def wrong_code(window) -> str:
    while True:
        code = codes.new_join_code()
        if code != window.join_code:
            return code


def join(code, address="203.0.113.7"):
    return Client(REMOTE_ADDR=address).post("/go/", {"code": code})


def test_the_21st_failed_join_code_from_one_address_is_refused(window):
    for _ in range(20):
        page = join(wrong_code(window))
        assert page.status_code == 200 and b"couldn" in page.content
    limited = join(wrong_code(window))
    assert limited.status_code == 429 and b"too many tries" in limited.content
    # Behind the limit even a correct code is refused, so guessing cannot go on.
    assert join(window.join_code).status_code == 429
    # Another address is unaffected.
    assert join(window.join_code, address="198.51.100.1").status_code == 302


def test_thirty_correct_joins_from_one_address_within_a_minute_all_succeed(window):
    started = time.monotonic()
    for _ in range(19):
        join(wrong_code(window))  # a class making typos, just under the limit
    statuses = [join(window.join_code).status_code for _ in range(30)]
    assert statuses == [302] * 30
    assert time.monotonic() - started < 60


def test_mistyped_join_codes_of_the_wrong_shape_do_not_count_as_failures(window):
    for _ in range(30):
        assert join("ABC").status_code == 200
    assert join(window.join_code).status_code == 302


def test_failed_card_codes_are_limited_per_session(client, window):
    client.post("/go/", {"code": window.join_code})
    for _ in range(access.CARD_FAILURES_PER_SESSION):
        page = client.post("/go/card/", {"code": codes.new_card_code()})
        assert page.status_code == 200 and b"couldn" in page.content
    pupil = make_pupil(window)
    limited = client.post("/go/card/", {"code": pupil.card_code})
    assert limited.status_code == 429 and b"too many tries" in limited.content


def test_card_typos_with_a_wrong_check_symbol_do_not_use_up_the_limit(client, window):
    pupil = make_pupil(window)
    client.post("/go/", {"code": window.join_code})
    wrong = pupil.card_code[:-1] + ("2" if pupil.card_code[-1] != "2" else "3")
    for _ in range(10):
        client.post("/go/card/", {"code": wrong})
    assert client.post("/go/card/", {"code": pupil.card_code}).status_code == 302


def test_client_address_uses_the_trusted_proxy_header_only_when_configured(rf, settings):
    request = rf.get("/go/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert access.client_address(request) == "10.0.0.1"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert access.client_address(request) == "5.6.7.8"


def test_a_region_wide_flood_of_failed_join_codes_is_logged_once(window, caplog, monkeypatch):
    monkeypatch.setattr(access, "GLOBAL_JOIN_ALERT", 3)
    for n in range(5):
        join(wrong_code(window), address=f"192.0.2.{n}")
    alerts = [r for r in caplog.records if "failed class codes" in r.getMessage()]
    assert len(alerts) == 1
    assert window.join_code not in caplog.text
