"""The pupil pages without JavaScript (plain posts, redirect after post) and the JSON save."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from surveys.models import OutboxMessage, Response, SurveyWindow, TalkRequest
from tests.surveys.factories import SGIC_ANSWERS, PupilSurveyWindowFactory, make_pupil

from .helpers import join_and_assent, post_json, stored_counts


def test_pupil_completes_the_survey_without_javascript(client, window, pupil):
    join_and_assent(client, window, pupil)
    page = client.get("/go/q/1/")
    assert (
        b"Page 1 of 3" in page.content and b"Don&#x27;t know" in page.content and b"Prefer not to say" in page.content
    )
    assert client.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "4", "q_SAFE_02": "dk"})["Location"] == "/go/q/2/"
    assert client.post("/go/q/2/", {"seq": "2", "action": "skip", "q_HELP_01": "3"})["Location"] == "/go/q/3/"
    assert client.post("/go/q/3/", {"seq": "3", "q_GENDER": "boy"})["Location"] == "/go/thanks/"
    response = Response.objects.get()
    assert response.status == Response.Status.COMPLETED and response.gender == "boy"
    assert {
        a.item.code: a.missing for a in response.answers.select_related("item") if a.item.code.startswith("HELP")
    } == {
        "HELP_01": "skip",
        "HELP_02": "skip",
    }
    thanks = client.get("/go/thanks/")
    assert b"Your answers have been sent" in thanks.content and b"0800 1111" in thanks.content


def test_every_pupil_page_carries_signposting_and_private_headers(client, window, pupil):
    join_and_assent(client, window, pupil)
    for url in ["/go/", "/go/card/", "/go/start/", "/go/q/1/", "/go/thanks/"]:
        page = client.get(url)
        assert page.status_code == 200, url
        assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "no-referrer"
        text = page.content.decode()
        assert "0800 1111" in text and "trusted adult" in text, url
    assert "Mrs Safe" in client.get("/go/q/1/").content.decode()


def test_pupil_pages_do_not_extend_the_staff_base(client):
    text = client.get("/go/").content.decode()
    assert "Staff sign in" not in text and "site.css" not in text and "pupil.css" in text
    assert "<script src=" in text and "<script>" not in text and "style=" not in text


def test_session_holds_only_window_participant_key_and_card(client, window, pupil):
    key = join_and_assent(client, window, pupil)
    assert set(client.session["pupil"]) == {"w", "p", "k", "c"}
    # ...and the key this device was given, so only this device can carry on with it.
    assert set(client.session.keys()) == {"pupil", "pupil_resume"}
    assert client.session["pupil_resume"] == {f"{window.pk}:{pupil.pk}": key}


def test_wrong_check_symbol_gets_a_friendly_message(client, window, pupil):
    client.post("/go/", {"code": window.join_code})
    wrong = pupil.card_code[:-1] + ("2" if pupil.card_code[-1] != "2" else "3")
    page = client.post("/go/card/", {"code": wrong})
    assert page.status_code == 200
    assert "doesn&#x27;t look quite right" in page.content.decode()


def test_join_code_of_a_closed_window_is_refused(client):
    closed = PupilSurveyWindowFactory(closed=True)
    page = client.post("/go/", {"code": closed.join_code})
    assert page.status_code == 200 and b"couldn" in page.content
    assert "pupil" not in client.session


def test_join_code_accepts_lower_case_spaces_and_look_alikes(client, window):
    typed = window.join_code.lower().replace("0", "o").replace("1", "l")
    assert client.post("/go/", {"code": f" {typed[:4]} {typed[4:]} "}).status_code == 302


def test_no_thanks_stores_nothing(client, window, pupil):
    before = stored_counts()
    client.post("/go/", {"code": window.join_code})
    client.post("/go/card/", {"code": pupil.card_code})
    page = client.post("/go/start/", {"choice": "no"}, follow=True)
    assert b"Nothing has been saved" in page.content
    assert stored_counts() == before
    assert client.get("/go/q/1/")["Location"] == "/go/"


def test_stop_stores_nothing_further_and_ends_kindly(client, window, pupil):
    join_and_assent(client, window, pupil)
    client.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "4"})
    before = stored_counts()
    page = client.post("/go/stop/", follow=True)
    assert b"completely OK" in page.content
    assert client.post("/go/q/2/", {"seq": "2", "q_HELP_01": "3"})["Location"] == "/go/"
    assert stored_counts() == before
    assert Response.objects.get().status == Response.Status.IN_PROGRESS


def test_double_submit_of_the_last_page_makes_one_response(client, window, pupil):
    join_and_assent(client, window, pupil)
    client.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "4"})
    client.post("/go/q/2/", {"seq": "2"})
    first = client.post("/go/q/3/", {"seq": "3", "q_GENDER": "girl"})
    second = client.post("/go/q/3/", {"seq": "3", "q_GENDER": "girl"})
    assert first["Location"] == second["Location"] == "/go/thanks/"
    assert Response.objects.count() == 1 and Response.objects.get().submitted_on is not None


def test_going_back_and_changing_an_answer_without_javascript_saves_the_change(client, window, pupil):
    join_and_assent(client, window, pupil)
    client.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "4"})
    client.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "2"})  # the cached form, sent again
    assert Response.objects.get().answers.get(item__code="SAFE_01").value == 2
    assert 'value="2" checked' in client.get("/go/q/1/").content.decode()


def test_card_that_already_sent_gets_a_kind_message_and_a_conflict_response(client, window, pupil):
    join_and_assent(client, window, pupil)
    for no in (1, 2, 3):
        client.post(f"/go/q/{no}/", {"seq": str(no)})
    client.post("/go/", {"code": window.join_code})
    client.post("/go/card/", {"code": pupil.card_code})
    assert b"already been used" in client.get("/go/start/").content
    client.post("/go/start/", {"choice": "yes"})
    for no in (1, 2, 3):
        client.post(f"/go/q/{no}/", {"seq": str(no)})
    statuses = sorted(Response.objects.values_list("status", flat=True))
    assert statuses == ["completed", "conflict"]


def test_talk_request_stores_only_the_card_code(client, window, pupil):
    join_and_assent(client, window, pupil)
    client.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "1"})
    page = client.post("/go/talk/", follow=True)
    assert b"card code" in page.content
    talk = TalkRequest.objects.get()
    assert talk.card_code == pupil.card_code and talk.window == window and talk.school == window.group.school
    stored = {f.name for f in TalkRequest._meta.concrete_fields}
    assert stored == {"id", "school", "window", "card_code", "requested_on", "seen_at", "seen_by", "leads_notified"}


def test_talk_request_in_a_self_generated_code_window_has_no_code_and_explains(client):
    window = PupilSurveyWindowFactory(linkage=SurveyWindow.Linkage.SGIC)
    client.post("/go/", {"code": window.join_code})
    assert client.post("/go/card/", SGIC_ANSWERS).status_code == 302
    page = client.post("/go/talk/", follow=True)
    assert TalkRequest.objects.get().card_code == ""
    assert b"not who" in page.content


def test_self_generated_code_missing_answers_are_named(client):
    window = PupilSurveyWindowFactory(linkage=SurveyWindow.Linkage.SGIC)
    client.post("/go/", {"code": window.join_code})
    page = client.post("/go/card/", {"carer_initial": "S"})
    assert page.status_code == 200 and b"Please choose the month you were born in." in page.content


def test_json_save_acknowledges_and_points_to_the_next_page(client, window, pupil):
    key = join_and_assent(client, window, pupil)
    reply = post_json(client, {"key": key, "page": 1, "seq": 1, "answers": {"SAFE_01": 5}, "final": False})
    assert reply.status_code == 200 and reply.json() == {"ok": True, "page": 1, "completed": False, "next": "/go/q/2/"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"page": 1, "seq": 1, "answers": {"NOPE": 1}}, 400),
        ({"page": 1, "seq": "x", "answers": {}}, 400),
        ({"page": 1, "seq": 1, "answers": {"SAFE_01": 9}}, 400),
        ({"page": 1, "seq": 1, "answers": {}, "final": "yes"}, 400),
    ],
)
def test_json_save_refuses_bad_bodies_with_4xx(client, window, pupil, body, status):
    key = join_and_assent(client, window, pupil)
    reply = post_json(client, {"key": key, **body})
    assert reply.status_code == status and reply.json()["ok"] is False and reply.json()["message"]
    assert not Response.objects.exists()


def test_json_save_refuses_a_changed_body_under_the_same_key_with_422(client, window, pupil):
    key = join_and_assent(client, window, pupil)
    body = {"key": key, "page": 1, "seq": 1, "answers": {"SAFE_01": 5}}
    assert post_json(client, body).status_code == 200
    assert post_json(client, body).status_code == 200
    assert post_json(client, {**body, "answers": {"SAFE_01": 4}}).status_code == 422


def test_json_save_refuses_a_device_copy_from_another_session(client, window, pupil):
    join_and_assent(client, window, pupil)
    reply = post_json(client, {"key": "0" * 32, "page": 1, "seq": 1, "answers": {}})
    assert reply.status_code == 403 and reply.json()["error"] == "stale"


def test_json_save_refuses_oversized_and_non_json_bodies(client, window, pupil):
    key = join_and_assent(client, window, pupil)
    huge = post_json(client, {"key": key, "page": 1, "seq": 1, "answers": {"x" * 40000: 1}})
    assert huge.status_code == 413
    form = client.post("/go/save/", {"key": key})
    assert form.status_code == 415


def test_database_outage_gives_503_with_retry_after(client, window, pupil):
    key = join_and_assent(client, window, pupil)
    with mock.patch("surveys.services.submission.page_save", side_effect=OperationalError("down")):
        reply = post_json(client, {"key": key, "page": 1, "seq": 1, "answers": {}})
        page = client.post("/go/q/1/", {"seq": "1"})
    assert reply.status_code == 503 and reply["Retry-After"] == "5"
    assert page.status_code == 503 and b"try again" in page.content


def test_closing_the_window_mid_survey_shows_a_kind_closed_page(client, window, pupil):
    join_and_assent(client, window, pupil)
    SurveyWindow.objects.filter(pk=window.pk).update(closed_at=window.opens_at)
    page = client.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "4"})
    assert page.status_code == 409 and b"This survey has closed" in page.content
    assert not Response.objects.exists()


def test_item_per_page_layout_shows_one_question_per_page(client, pupil):
    window = PupilSurveyWindowFactory(layout=SurveyWindow.Layout.ITEM_PER_PAGE, include_demographics=False)
    other = make_pupil(window)
    join_and_assent(client, window, other)
    page = client.get("/go/q/1/").content.decode()
    assert "Page 1 of 5" in page and page.count("<fieldset") == 1


def test_pupil_posts_with_a_null_origin_pass_only_with_a_valid_token():
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    page = csrf_client.get("/go/")
    token = page.cookies["csrftoken"].value
    headers = {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "same-origin"}
    assert csrf_client.post("/go/", {"code": "ABC", "csrfmiddlewaretoken": token}, **headers).status_code == 200
    assert csrf_client.post("/go/", {"code": "ABC"}, **headers).status_code == 403
    cross = {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "cross-site"}
    assert csrf_client.post("/go/", {"code": "ABC", "csrfmiddlewaretoken": token}, **cross).status_code == 403
    evil = {"HTTP_ORIGIN": "https://evil.example"}
    assert csrf_client.post("/go/", {"code": "ABC", "csrfmiddlewaretoken": token}, **evil).status_code == 403


def test_question_pages_lead_to_the_thank_you_page_once_answers_are_sent(client, window, pupil):
    join_and_assent(client, window, pupil)
    for no in (1, 2, 3):
        client.post(f"/go/q/{no}/", {"seq": str(no)})
    assert client.get("/go/q/1/")["Location"] == "/go/thanks/"


def test_once_the_thank_you_page_shows_the_device_forgets_the_pupil_but_can_still_ask_to_talk(client, window, pupil):
    join_and_assent(client, window, pupil)
    for no in (1, 2, 3):
        client.post(f"/go/q/{no}/", {"seq": str(no)})
    assert set(client.session["pupil"]) == {"w", "p", "k", "c"}  # a lost acknowledgement can still be resent
    assert b"Your answers have been sent" in client.get("/go/thanks/").content
    assert client.session["pupil"] == {"w": window.pk, "c": pupil.card_code}
    assert "pupil_resume" not in client.session  # the sent response's key is forgotten too
    assert client.get("/go/q/1/")["Location"] == "/go/"  # the survey can't be reopened from this device
    assert client.get("/go/thanks/").status_code == 200  # a refresh still shows the signposting
    client.post("/go/talk/")
    assert TalkRequest.objects.get().card_code == pupil.card_code


# --- A second device with the same code ------------------------------------------------


def _checked(page) -> int:
    return page.content.decode().count(" checked")


def test_a_second_device_with_the_same_card_code_sees_and_changes_nothing_of_the_first(window, pupil):
    """Issue 7: pupil Y typing pupil X's card code was given X's submission key, saw X's
    answers ticked and overwrote them."""
    from django.test import Client

    device_x, device_y = Client(), Client()
    key_x = join_and_assent(device_x, window, pupil)
    device_x.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "4", "q_SAFE_02": "dk"})
    assert _checked(device_x.get("/go/q/1/")) == 2

    device_y.post("/go/", {"code": window.join_code})
    device_y.post("/go/card/", {"code": pupil.card_code})
    start = device_y.get("/go/start/").content.decode()
    assert "Someone has already started this survey with this card" in start
    key_y = join_and_assent(device_y, window, pupil)
    assert key_y != key_x and key_x not in str(dict(device_y.session))
    page = device_y.get("/go/q/1/")
    assert page.status_code == 200 and _checked(page) == 0 and key_x not in page.content.decode()

    # Y answers; X's answers stay exactly as they were and Y's are kept apart.
    assert device_y.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "1"})["Location"] == "/go/q/2/"
    assert post_json(device_y, {"key": key_x, "page": 1, "seq": 9, "answers": {"SAFE_01": 2}}).status_code == 403
    first = Response.objects.get(submission_key=key_x)
    second = Response.objects.get(submission_key=key_y)
    assert first.status == Response.Status.IN_PROGRESS and second.status == Response.Status.CONFLICT
    assert {a.item.code: (a.value, a.missing) for a in first.answers.select_related("item")} == {
        "SAFE_01": (4, ""),
        "SAFE_02": (None, "dk"),
        "SAFE_03": (None, "skip"),
    }
    assert second.answers.get(item__code="SAFE_01").value == 1
    # X carries on where they were; Y sees only Y's own answer.
    assert 'value="4" checked' in device_x.get("/go/q/1/").content.decode()
    assert 'value="1" checked' in device_y.get("/go/q/1/").content.decode() and _checked(device_y.get("/go/q/1/")) == 1


def test_a_second_device_with_the_same_own_code_sees_and_changes_nothing_of_the_first():
    from django.test import Client

    window = PupilSurveyWindowFactory(linkage=SurveyWindow.Linkage.SGIC)
    device_x, device_y = Client(), Client()
    for device in (device_x, device_y):
        device.post("/go/", {"code": window.join_code})
        assert device.post("/go/card/", SGIC_ANSWERS).status_code == 302
    device_x.post("/go/start/", {"choice": "yes"})
    device_x.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "5"})
    assert b"Someone has already started" in device_y.get("/go/start/").content
    device_y.post("/go/start/", {"choice": "yes"})
    assert _checked(device_y.get("/go/q/1/")) == 0
    device_y.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "2"})
    x, y = (Response.objects.get(submission_key=d.session["pupil"]["k"]) for d in (device_x, device_y))
    assert x.participant_id == y.participant_id  # the same own code
    assert x.answers.get(item__code="SAFE_01").value == 5 and x.status == Response.Status.IN_PROGRESS
    assert y.answers.get(item__code="SAFE_01").value == 2 and y.status == Response.Status.CONFLICT


def test_the_same_device_carries_on_after_going_back_to_the_class_code(client, window, pupil):
    key = join_and_assent(client, window, pupil)
    client.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "4"})
    assert join_and_assent(client, window, pupil) == key  # typed both codes again
    assert b"Someone has already started" not in client.get("/go/start/").content
    assert 'value="4" checked' in client.get("/go/q/1/").content.decode()
    assert Response.objects.count() == 1


def test_saying_no_thanks_on_coming_back_forgets_the_response_this_device_started(client, window, pupil):
    join_and_assent(client, window, pupil)
    client.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "4"})
    client.post("/go/", {"code": window.join_code})
    client.post("/go/card/", {"code": pupil.card_code})
    client.post("/go/start/", {"choice": "no"})
    assert "pupil_resume" not in client.session
    assert join_and_assent(client, window, pupil) != str(Response.objects.get().submission_key)


def test_after_stopping_the_same_device_starts_afresh_without_the_old_answers(client, window, pupil):
    key = join_and_assent(client, window, pupil)
    client.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "4"})
    client.post("/go/stop/")
    assert join_and_assent(client, window, pupil) != key
    assert _checked(client.get("/go/q/1/")) == 0


def test_a_device_that_lost_its_session_is_told_kindly_and_starts_its_own_response(window, pupil):
    from django.test import Client

    before = Client()
    key = join_and_assent(before, window, pupil)
    before.post("/go/q/1/", {"seq": "1", "q_SAFE_01": "4"})
    after = Client()  # the browser was closed and the session has gone
    after.post("/go/", {"code": window.join_code})
    after.post("/go/card/", {"code": pupil.card_code})
    start = after.get("/go/start/").content.decode()
    assert "Those answers are saved and kept private" in start and "ask your teacher" in start
    join_and_assent(after, window, pupil)
    for no in (1, 2, 3):
        after.post(f"/go/q/{no}/", {"seq": str(no)})
    assert Response.objects.get(submission_key=key).status == Response.Status.IN_PROGRESS
    kept_apart = Response.objects.exclude(submission_key=key).get()
    assert kept_apart.status == Response.Status.CONFLICT and kept_apart.submitted_on is not None


# --- Talk to someone -----------------------------------------------------------------


def test_pressing_talk_forty_times_makes_one_request_and_one_message(client, window):
    client.post("/go/", {"code": window.join_code})  # a class code, no card
    pages = [client.post("/go/talk/") for _ in range(40)]
    assert {page["Location"] for page in pages} == {"/go/talk/sent/"}
    assert TalkRequest.objects.count() == 1
    assert OutboxMessage.objects.filter(kind="talk_requested").count() == 1


def test_talk_is_refused_kindly_once_the_window_has_closed(client, window, pupil):
    join_and_assent(client, window, pupil)
    SurveyWindow.objects.filter(pk=window.pk).update(closed_at=window.opens_at)
    page = client.post("/go/talk/")
    text = page.content.decode()
    assert page.status_code == 409 and "This survey has closed" in text
    assert "0800 1111" in text and "adult you trust" in text
    assert not TalkRequest.objects.exists() and not OutboxMessage.objects.exists()


def test_talk_beyond_the_window_s_budget_is_refused_kindly_and_can_be_pressed_again(client, window, monkeypatch):
    monkeypatch.setattr("surveys.services.talk.talk_requests_allowed_per_day", lambda class_size: 0)
    client.post("/go/", {"code": window.join_code})
    page = client.post("/go/talk/")
    assert page.status_code == 429
    assert b"couldn't send your message" in page.content and b"0800 1111" in page.content
    assert not TalkRequest.objects.exists()
    monkeypatch.undo()
    assert client.post("/go/talk/")["Location"] == "/go/talk/sent/"  # not counted as asked
    assert TalkRequest.objects.count() == 1
