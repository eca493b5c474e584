"""Getting in: failed class codes are limited per session and (far higher) per address;
failed card codes per session, per window and address, and per window."""

from __future__ import annotations

import time

from django.test import Client
from django.utils import timezone

from surveys import codes
from surveys.pupil import access, sql
from tests.surveys.factories import PupilSurveyWindowFactory, make_pupil


def wrong_code(window) -> str:
    while True:
        code = codes.new_join_code()
        if code != window.join_code:
            return code


def join(code, address="203.0.113.7", client=None):
    return (client or Client(REMOTE_ADDR=address)).post("/go/", {"code": code})


def test_one_pupil_s_mistakes_stop_only_that_pupil(window):
    """Issue 7: 20 wrong class codes from one address locked every pupil behind that
    school's shared address out for 10 minutes, even with the right code."""
    mistyper = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(access.JOIN_FAILURES_PER_SESSION):
        page = join(wrong_code(window), client=mistyper)
        assert page.status_code == 200 and b"couldn" in page.content
    limited = join(window.join_code, client=mistyper)
    assert limited.status_code == 429 and b"too many tries" in limited.content
    # The rest of the school, behind the same address, still gets in.
    assert [join(window.join_code).status_code for _ in range(30)] == [302] * 30


def test_a_hall_of_pupils_mistyping_behind_one_address_keeps_joining(window):
    started = time.monotonic()
    for _ in range(60):  # 60 pupils, each with three typos, all behind the school's address
        pupil = Client(REMOTE_ADDR="203.0.113.7")
        for _ in range(3):
            assert join(wrong_code(window), client=pupil).status_code == 200
        assert join(window.join_code, client=pupil).status_code == 302
    assert time.monotonic() - started < 120


def test_an_address_guessing_at_scale_is_refused_even_the_right_code(window, monkeypatch, caplog):
    monkeypatch.setattr(access, "JOIN_FAILURES_PER_ADDRESS", 12)
    for _ in range(12):  # a new session for every guess, as a script would
        assert join(wrong_code(window)).status_code == 200
    assert [r for r in caplog.records if "used up its 12 failed class codes" in r.getMessage()]
    assert "203.0.113.7" not in caplog.text
    limited = join(window.join_code)
    assert limited.status_code == 429 and b"too many tries" in limited.content
    assert join(window.join_code, address="198.51.100.1").status_code == 302  # another address is unaffected


def test_the_address_budget_is_far_above_a_class_and_the_session_budget(window):
    assert access.JOIN_FAILURES_PER_ADDRESS >= 20 * access.JOIN_FAILURES_PER_SESSION
    assert access.JOIN_FAILURES_PER_ADDRESS >= 200


def test_mistyped_join_codes_of_the_wrong_shape_do_not_count_as_failures(window):
    pupil = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(30):
        assert join("ABC", client=pupil).status_code == 200
    assert join(window.join_code, client=pupil).status_code == 302


def test_failed_card_codes_are_limited_per_session(client, window):
    client.post("/go/", {"code": window.join_code})
    for _ in range(access.CARD_FAILURES_PER_SESSION):
        page = client.post("/go/card/", {"code": codes.new_card_code()})
        assert page.status_code == 200 and b"couldn" in page.content
    pupil = make_pupil(window)
    limited = client.post("/go/card/", {"code": pupil.card_code})
    assert limited.status_code == 429 and b"too many tries" in limited.content


def _card_guesser(window, address="203.0.113.7"):
    guesser = Client(REMOTE_ADDR=address)
    assert guesser.post("/go/", {"code": window.join_code}).status_code == 302
    return guesser


def test_a_new_session_does_not_give_a_card_guesser_more_tries(window):
    """Issue 7: card guessing was limited per session only, so a new session got five more."""
    for _ in range(access.CARD_FAILURES_PER_WINDOW_ADDRESS // access.CARD_FAILURES_PER_SESSION):
        guesser = _card_guesser(window)
        for _ in range(access.CARD_FAILURES_PER_SESSION):
            assert guesser.post("/go/card/", {"code": codes.new_card_code()}).status_code == 200
    pupil = make_pupil(window)
    limited = _card_guesser(window).post("/go/card/", {"code": pupil.card_code})
    assert limited.status_code == 429
    # The same card code from another address (a pupil on 4G) still works.
    assert _card_guesser(window, address="198.51.100.1").post("/go/card/", {"code": pupil.card_code}).status_code == 302


def test_a_card_guesser_on_many_addresses_is_limited_per_window(window, monkeypatch, caplog):
    monkeypatch.setattr(access, "CARD_FAILURES_PER_WINDOW", 8)
    for n in range(8):
        assert (
            _card_guesser(window, address=f"192.0.2.{n}").post("/go/card/", {"code": codes.new_card_code()}).status_code
            == 200
        )
    pupil = make_pupil(window)
    assert _card_guesser(window, address="192.0.2.200").post("/go/card/", {"code": pupil.card_code}).status_code == 429
    assert [r for r in caplog.records if "card codes that match nothing" in r.getMessage()]
    other = PupilSurveyWindowFactory()  # other classes are unaffected
    assert (
        _card_guesser(other, address="192.0.2.200").post("/go/card/", {"code": make_pupil(other).card_code}).status_code
        == 302
    )


def test_a_class_of_thirty_each_mistyping_a_card_cannot_use_up_the_window_s_budget(window):
    assert access.CARD_FAILURES_PER_WINDOW >= 2 * 30 and access.CARD_FAILURES_PER_WINDOW_ADDRESS > 30
    for _ in range(30):  # every pupil's typo happens to pass the check symbol, behind one address
        pupil_device = _card_guesser(window)
        assert pupil_device.post("/go/card/", {"code": codes.new_card_code()}).status_code == 200
        assert pupil_device.post("/go/card/", {"code": make_pupil(window).card_code}).status_code == 302


def test_card_typos_with_a_wrong_check_symbol_do_not_use_up_the_limit(client, window):
    pupil = make_pupil(window)
    client.post("/go/", {"code": window.join_code})
    wrong = pupil.card_code[:-1] + ("2" if pupil.card_code[-1] != "2" else "3")
    for _ in range(10):
        client.post("/go/card/", {"code": wrong})
    assert client.post("/go/card/", {"code": pupil.card_code}).status_code == 302


def test_failures_sent_at_once_are_all_counted():
    """The counter is one atomic statement, so parallel guesses cannot slip past a limit."""
    key = access._counter_key("test", "parallel")
    assert [access._record_failure(key) for _ in range(5)] == [1, 2, 3, 4, 5]
    assert sql.counter_values([key], now=timezone.now()) == {key: 5}


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
